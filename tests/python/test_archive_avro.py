# SPDX-License-Identifier: MIT
"""The raw-message archive in IoT Hub routing's Avro format, read back with fastavro (an Avro
reader independent of the Avro C library that writes it), including across SIGKILL restarts.

Needs the `streamcp` command: $STREAMCP_CLI, or the first build/*/src/streamcp of the checkout.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

fastavro = pytest.importorskip("fastavro", reason="fastavro comes with the test extras")

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
# IoT Hub routing's record schema as Microsoft documents it (docs/operations.md cites it).
IOTHUB_SCHEMA = {
    "type": "record",
    "name": "Microsoft.Azure.Devices.Message",
    "fields": [
        {"name": "EnqueuedTimeUtc", "type": "string"},
        {"name": "Properties", "type": {"type": "map", "values": "string"}},
        {"name": "SystemProperties", "type": {"type": "map", "values": "string"}},
        {"name": "Body", "type": ["null", "bytes"]},
    ],
}
IOTHUB_NAME = re.compile(r"^hub1/0/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{4}\.avro$")
QUERY = ["--value", "temp", "--timestamp", "datetime", "--partition-by", "device",
         "--confidence", "80", "--history", "12", "--duration", "30m", "--quiet"]
AVRO_ARCHIVE = ["--archive-layout", "iothub", "--archive-hub", "hub1", "--archive-format",
                "avro", "--archive-max-bytes", "4096"]


@pytest.fixture(scope="module")
def streamcp() -> str:
    if os.environ.get("STREAMCP_CLI"):
        return os.environ["STREAMCP_CLI"]
    for candidate in sorted(REPO_ROOT.glob("build/*/src/streamcp")):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.skip("no streamcp executable: build it or set STREAMCP_CLI")


def simulate(streamcp: str, path: Path, *args: str) -> list[bytes]:
    subprocess.run([streamcp, "simulate", "-o", str(path), *args], check=True)
    return path.read_bytes().splitlines()


def read_archive(root: Path) -> tuple[list[str], list[dict]]:
    """Relative names and records of the completed files, in name order."""
    names, records = [], []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        names.append(path.relative_to(root).as_posix())
        with path.open("rb") as f:
            reader = fastavro.reader(f)
            assert reader.writer_schema == IOTHUB_SCHEMA
            assert reader.codec == "null"
            records.extend(reader)
    return names, records


def enqueued(line: bytes) -> str:
    """The EnqueuedTimeUtc IoT Hub writes for a simulated message's time (7 fraction digits)."""
    stamp = re.search(rb'"datetime":"([^"]+)"', line).group(1).decode()
    when = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def test_avro_archive_holds_every_message_in_iothub_records(streamcp: str, tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "10", "--length", "30m")
    root = tmp_path / "lake"
    subprocess.run([streamcp, "detect", *QUERY, "-i", str(tmp_path / "in.jsonl"), "-o",
                    str(tmp_path / "out.jsonl"), "--archive", str(root), *AVRO_ARCHIVE],
                   check=True)
    names, records = read_archive(root)
    assert all(IOTHUB_NAME.match(name) for name in names), names
    assert len(names) > 30, "4096-byte files: several a minute"
    assert [r["Body"] for r in records] == lines
    assert [r["EnqueuedTimeUtc"] for r in records] == [enqueued(line) for line in lines]
    assert all(r["Properties"] == {} and r["SystemProperties"] == {} for r in records)


def test_run_config_selects_the_avro_format(streamcp: str, tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "2", "--length", "5m")
    config = tmp_path / "job.toml"
    config.write_text(f"""
[source]
type = "file"
path = "{tmp_path}/in.jsonl"

[query]
value = "temp"
timestamp = "datetime"
confidence = 80
history = 12
duration = "30m"

[[sinks]]
type = "file"
path = "{tmp_path}/out.jsonl"

[archive]
path = "{tmp_path}/lake"
layout = "iothub"
hub = "hub1"
format = "avro"
""")
    subprocess.run([streamcp, "run", "--quiet", str(config)], check=True)
    names, records = read_archive(tmp_path / "lake")
    assert names[0] == "hub1/0/2019/11/18/19/00-0000.avro"
    assert [r["Body"] for r in records] == lines
    config.write_text(config.read_text().replace('format = "avro"', 'format = "parquet"'))
    refused = subprocess.run([streamcp, "run", "--quiet", str(config)], capture_output=True,
                             text=True)
    assert refused.returncode != 0
    assert "archive.format" in refused.stderr and "json, avro" in refused.stderr


def test_avro_archive_is_exactly_once_across_kill_and_restart(streamcp: str,
                                                              tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "50", "--events", "60000")
    args = [streamcp, "detect", *QUERY, "-i", str(tmp_path / "in.jsonl"), "-o",
            str(tmp_path / "out.jsonl"), "--archive", str(tmp_path / "lake"), *AVRO_ARCHIVE,
            "--checkpoint", str(tmp_path / "job.sqlite"), "--checkpoint-every", "2500"]
    start = time.monotonic()
    subprocess.run([streamcp, "detect", *QUERY, "-i", str(tmp_path / "in.jsonl"), "-o",
                    os.devnull], check=True)
    full = time.monotonic() - start
    rng = random.Random(17)
    killed = 0
    for _ in range(6):
        run = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.0) * full)
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            killed += 1
        run.wait()
    subprocess.run(args, check=True)
    assert killed > 0
    names, records = read_archive(tmp_path / "lake")
    assert not [n for n in names if Path(n).name.startswith(".")], "temporary files left"
    assert [r["Body"] for r in records] == lines  # each message once, in input order
