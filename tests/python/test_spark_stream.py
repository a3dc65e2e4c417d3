# SPDX-License-Identifier: MIT
"""streamcp.spark.detect_stream: the union of every micro-batch's output equals `streamcp detect`
over the same events, however the stream is cut (label spark)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pyspark = pytest.importorskip("pyspark")

from pyspark.sql import functions as F  # noqa: E402, N812
from spark_support import (  # noqa: E402, F401 (cli and seed are pytest fixtures)
    SPARK_MARKS,
    QUERY,
    cli,
    cli_outputs,
    compare,
    local_session,
    seed,
    spark_outputs,
)

import streamcp.spark  # noqa: E402

pytestmark = SPARK_MARKS

LINES_PER_FILE = 60
# flush_stream on a streaming input reads the checkpoint with the state data source (Spark 4).
HAS_STATE_READER = int(pyspark.__version__.split(".")[0]) >= 4
needs_state_reader = pytest.mark.skipif(not HAS_STATE_READER,
                                        reason="flush_stream on a stream needs Spark >= 4.0")


@pytest.fixture(scope="module")
def spark() -> Any:
    session = local_session("streamcp-stream-tests", "Asia/Kolkata")
    yield session
    session.stop()


def write_files(lines: list[str], folder: Path) -> None:
    """The events as numbered files whose modification times follow the line order, so the file
    source reads them in arrival order."""
    folder.mkdir()
    for n, start in enumerate(range(0, len(lines), LINES_PER_FILE)):
        path = folder / f"part-{n:05d}.jsonl"
        path.write_text("".join(line + "\n" for line in lines[start:start + LINES_PER_FILE]))
        os.utime(path, (1_600_000_000 + n, 1_600_000_000 + n))


def events(spark: Any, folder: Path, files_per_trigger: int | None) -> Any:
    """The files as a stream, or (files_per_trigger None) the same events as a batch DataFrame."""
    raw = (spark.read.text(str(folder)) if files_per_trigger is None
           else spark.readStream.option("maxFilesPerTrigger", files_per_trigger).text(str(folder)))
    return raw.select(
        F.get_json_object("value", "$.seq").cast("long").alias("seq"),
        F.get_json_object("value", "$.device").alias("device"),
        F.get_json_object("value", "$.temp").alias("temp"),
        F.get_json_object("value", "$.datetime").alias("datetime"),
    )


def run_stream(spark: Any, folder: Path, checkpoint: Path, name: str, files_per_trigger: int,
               **kwargs: Any) -> list[Any]:
    scored = streamcp.spark.detect_stream(
        events(spark, folder, files_per_trigger), value="temp", timestamp="datetime",
        partition_by="device", order_by="seq", **QUERY, **kwargs)
    query = (scored.writeStream.format("memory").queryName(name).outputMode("append")
             .option("checkpointLocation", str(checkpoint)).trigger(availableNow=True).start())
    query.awaitTermination()
    assert query.exception() is None
    return spark.table(name).collect()


def late_arrivals(seed: list[str]) -> list[str]:
    """The seed's events with every 97th moved 7 lines later (about 20 s late), renumbered."""
    lines = list(seed)
    for i in range(50, len(lines) - 10, 97):
        lines.insert(i + 7, lines.pop(i))
    return [json.dumps({**json.loads(x), "seq": n}) for n, x in enumerate(lines)]


@pytest.mark.parametrize("files_per_trigger", [
    pytest.param(1, marks=pytest.mark.spark_long), 5, 100])
def test_micro_batches_equal_cli(spark: Any, cli: str, seed: list[str], tmp_path: Path,
                                 files_per_trigger: int) -> None:
    # Late arrivals with tolerance 0: adjusted at once, whatever the batch boundaries.
    lines = late_arrivals(seed)
    write_files(lines, tmp_path / "in")
    rows = run_stream(spark, tmp_path / "in", tmp_path / "ckpt", f"split{files_per_trigger}",
                      files_per_trigger)
    assert len(rows) == len(lines)
    assert compare(cli_outputs(cli, lines, tmp_path), spark_outputs(rows)) == []


@pytest.mark.parametrize(("files_per_trigger", "action", "flush_from"), [
    pytest.param(3, "adjust", "state", marks=needs_state_reader),
    pytest.param(1, "drop", "state", marks=[needs_state_reader, pytest.mark.spark_long]),
    pytest.param(100, "drop", "state", marks=needs_state_reader),
    (3, "adjust", "batch"),
    pytest.param(100, "drop", "batch", marks=pytest.mark.spark_long)])
def test_held_rows_and_end_of_input_equal_cli(spark: Any, cli: str, seed: list[str],
                                               tmp_path: Path, files_per_trigger: int,
                                               action: str, flush_from: str) -> None:
    # A 15 s tolerance holds the latest readings of every device across batch boundaries (the
    # state's ordering buffer) and adjusts or drops the 20 s late ones; flush_stream releases
    # what is held at the end, as the CLI's end of input does: read from the checkpoint (the
    # streaming input, Spark 4) or found by the ordering stage over the batch input (Spark 3.5).
    lines = late_arrivals(seed)
    write_files(lines, tmp_path / "in")
    args = {"out_of_order_tolerance": "15s", "out_of_order_action": action}
    name = f"held{files_per_trigger}{action}{flush_from}"
    rows = run_stream(spark, tmp_path / "in", tmp_path / "ckpt", name, files_per_trigger, **args)
    source = events(spark, tmp_path / "in", files_per_trigger if flush_from == "state" else None)
    flushed = streamcp.spark.flush_stream(
        source, str(tmp_path / "ckpt"), value="temp", timestamp="datetime",
        partition_by="device", order_by="seq", **QUERY, **args).collect()
    assert 0 < len(flushed) < len(lines) // 10
    assert len(rows) + len(flushed) == len(lines)
    expected = cli_outputs(cli, lines, tmp_path, "--out-of-order-tolerance", "15s",
                           "--out-of-order-action", action)
    if action == "drop":
        assert any(r == "out_of_order" for _, _, r in expected.values())
    assert compare(expected, spark_outputs(rows + flushed)) == []


@pytest.mark.spark_long
def test_killed_driver_resumes_from_its_checkpoint(spark: Any, cli: str, seed: list[str],
                                                   tmp_path: Path) -> None:
    # The driver (Python and its JVM) is SIGKILLed after a few micro-batches, then started again
    # on the same checkpoint; after removing rows repeated by the replayed batch (by seq, the
    # record id here) and adding the end-of-input flush, the output is the CLI's.
    lines = late_arrivals(seed)
    write_files(lines, tmp_path / "in")
    command = [sys.executable, str(Path(__file__).with_name("spark_stream_driver.py")),
               str(tmp_path / "in"), str(tmp_path / "ckpt"), str(tmp_path / "out")]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    driver = subprocess.Popen(command, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    commits = tmp_path / "ckpt" / "commits"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and driver.poll() is None:
        if commits.is_dir() and len([p for p in commits.iterdir() if p.name.isdigit()]) >= 4:
            break
        time.sleep(0.2)
    assert driver.poll() is None, "the driver ended before it could be killed"
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600)
    written = spark.read.schema(
        "seq long, device string, temp string, datetime string, Score double, IsAnomaly long, "
        "RejectReason string").json(str(tmp_path / "out")).collect()
    unique = {row["seq"]: row for row in written}
    # Spark 4 reads the held rows from the checkpoint; Spark 3.5 finds them in the batch input.
    source = events(spark, tmp_path / "in", 1 if HAS_STATE_READER else None)
    flushed = streamcp.spark.flush_stream(
        source, str(tmp_path / "ckpt"), value="temp", timestamp="datetime",
        partition_by="device", order_by="seq", out_of_order_tolerance="15s", **QUERY).collect()
    expected = cli_outputs(cli, lines, tmp_path, "--out-of-order-tolerance", "15s")
    assert compare(expected, spark_outputs([*unique.values(), *flushed])) == []
