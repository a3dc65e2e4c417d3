# SPDX-License-Identifier: MIT
"""`[archive] type = "azure_blob"` against Azurite (Microsoft's Azure Storage emulator, from npm,
started on loopback by scripts/azurite). The blobs are read back with Microsoft's own Python SDK
(azure-storage-blob) and fastavro, both independent of the libcurl + Avro C code that writes
them: every message is archived exactly once, including across SIGKILL + restart and across an
Azurite restart in the middle of a run.

Needs the `streamcp` command ($STREAMCP_CLI, or the first build/*/src/streamcp of the checkout)
and Azurite (scripts/install-deps installs it into build/azurite).
"""
from __future__ import annotations

import collections
import datetime as dt
import http.client
import http.server
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

# The `streamcp run` configs the command-line tests share (tests/pipeline/job_toml.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pipeline"))

fastavro = pytest.importorskip("fastavro", reason="fastavro comes with the test extras")
blob_sdk = pytest.importorskip("azure.storage.blob",
                               reason="azure-storage-blob comes with the test extras")

from azure.core.exceptions import ResourceNotFoundError  # noqa: E402
from job_toml import SEED_QUERY_KEYS, file_job  # noqa: E402
from test_archive_avro import IOTHUB_SCHEMA, enqueued, simulate, streamcp  # noqa: E402,F401

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
AZURITE = REPO_ROOT / "scripts" / "azurite"
# Azurite's documented development account (a public, well-known key).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")
# Azurite 3.35 serves REST API versions up to 2025-01-05; the SDK would ask for a newer one.
API_VERSION = "2021-08-06"
DEFAULT_NAME = re.compile(r"^hub1/0/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{4}\.avro$")
# Guards against a hung run; never part of an assertion.
HANG_GUARD_S = 300


class Azurite:
    """One Azurite Blob service in its own run directory (data kept across stop + start)."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.port = None

    def _script(self, action: str) -> str:
        done = subprocess.run([str(AZURITE), action, "--dir", str(self.run_dir)],
                              capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def start(self) -> None:
        self.port = int(self._script("start").splitlines()[-1])

    def stop(self) -> None:
        self._script("stop")

    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
                f"BlobEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT}")

    def container(self, name: str):
        service = blob_sdk.BlobServiceClient.from_connection_string(
            self.connection_string(), api_version=API_VERSION)
        return service.get_container_client(name)


@pytest.fixture
def azurite(tmp_path: Path):
    if not (REPO_ROOT / "build" / "azurite" / "node_modules" / ".bin" / "azurite-blob").exists() \
            and not os.environ.get("STREAMCP_AZURITE_DIR"):
        pytest.skip("Azurite is not installed: scripts/install-deps installs it (npm)")
    server = Azurite(tmp_path / "azurite")
    server.start()
    yield server
    server.stop()


def write_config(directory: Path, archive: str = "", checkpoint: bool = True) -> Path:
    config = directory / "job.toml"
    text = file_job(f"{directory}/in.jsonl", f"{directory}/out.jsonl",
                    {**SEED_QUERY_KEYS, "only_anomalies": True}, f"""
[archive]
type = "azure_blob"
connection_string_env = "STREAMCP_TEST_STORAGE"
container = "lake"
hub = "hub1"
{archive}
""")
    if checkpoint:
        text += f'\n[checkpoint]\npath = "{directory}/job.sqlite"\nevery = 1000\ninterval = "1s"\n'
    config.write_text(text)
    return config


def run_env(azurite: Azurite, connection_string: str | None = None) -> dict:
    env = dict(os.environ)
    env["STREAMCP_TEST_STORAGE"] = connection_string or azurite.connection_string()
    return env


def read_blobs(container) -> dict[str, bytes]:
    """Every committed blob of the container, by name."""
    return {blob.name: container.download_blob(blob.name).readall()
            for blob in container.list_blobs()}


def blob_count(container) -> int:
    """Committed blobs so far; 0 before the run has created the container."""
    try:
        return sum(1 for _ in container.list_blobs())
    except ResourceNotFoundError:
        return 0


def avro_records(data: bytes) -> list[dict]:
    reader = fastavro.reader(io.BytesIO(data))
    assert reader.writer_schema == IOTHUB_SCHEMA
    return list(reader)


def bodies(blobs: dict[str, bytes]) -> list[bytes]:
    return [r["Body"] for name in sorted(blobs) for r in avro_records(blobs[name])]


def test_every_message_once_in_iothub_records_and_batches(streamcp: str, azurite: Azurite,
                                                          tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "4", "--length", "3h")
    subprocess.run([streamcp, "run", "--quiet", str(write_config(tmp_path))],
                   env=run_env(azurite), check=True, timeout=HANG_GUARD_S)
    blobs = read_blobs(azurite.container("lake"))
    assert all(DEFAULT_NAME.match(name) for name in blobs), sorted(blobs)
    # Default batch frequency 300 s of event time: 3 hours make 36 blobs, one per 5 minutes.
    assert len(blobs) == 36
    assert sorted(blobs)[:2] == ["hub1/0/2019/11/18/19/00-0000.avro",
                                 "hub1/0/2019/11/18/19/05-0000.avro"]
    records = [r for name in sorted(blobs) for r in avro_records(blobs[name])]
    assert [r["Body"] for r in records] == lines
    assert [r["EnqueuedTimeUtc"] for r in records] == [enqueued(line) for line in lines]
    container = azurite.container("lake")
    properties = container.get_blob_client(sorted(blobs)[0]).get_blob_properties()
    assert properties.content_settings.content_type == "avro/binary"


def test_json_format_and_a_reordered_path_format(streamcp: str, azurite: Azurite,
                                                 tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "2", "--length", "30m")
    config = write_config(tmp_path, 'format = "json"\n'
                          'path_format = "{YYYY}-{MM}-{DD}/{HH}-{mm}/{iothub}-{partition}"\n'
                          "batch_frequency_seconds = 600\n", checkpoint=False)
    subprocess.run([streamcp, "run", "--quiet", str(config)], env=run_env(azurite), check=True,
                   timeout=HANG_GUARD_S)
    blobs = read_blobs(azurite.container("lake"))
    assert sorted(blobs) == [f"2019-11-18/19-{m:02d}/hub1-0-0000.jsonl" for m in (0, 10, 20)]
    assert b"".join(blobs[name] for name in sorted(blobs)).splitlines() == lines


def test_size_bound_closes_a_batch_before_max_chunk_bytes(streamcp: str, azurite: Azurite,
                                                          tmp_path: Path) -> None:
    # 2,400 messages of 10 KB within one minute: 24 MB, over the smallest chunk size (10 MiB).
    pad = "x" * 10_000
    lines = [(f'{{"device":"d{i % 3}","temp":{20 + i % 7},"pad":"{pad}",'
              f'"datetime":"2019-11-18T19:00:{i // 100:02d}+0000"}}').encode()
             for i in range(2_400)]
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    config = write_config(tmp_path, f"max_chunk_bytes = {10 << 20}\n")
    subprocess.run([streamcp, "run", "--quiet", str(config)], env=run_env(azurite), check=True,
                   timeout=HANG_GUARD_S)
    blobs = read_blobs(azurite.container("lake"))
    assert sorted(blobs) == [f"hub1/0/2019/11/18/19/00-{seq:04d}.avro" for seq in range(3)]
    assert all(len(data) <= 10 << 20 for data in blobs.values())
    assert bodies(blobs) == lines


def test_exactly_once_across_kill_and_restart(streamcp: str, azurite: Azurite,
                                              tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "20", "--length", "12h")
    config = write_config(tmp_path)
    container = azurite.container("lake")
    seen_before_kill = {}
    for _ in range(3):
        run = subprocess.Popen([streamcp, "run", "--quiet", str(config)], env=run_env(azurite))
        # Kill it once a few more blobs are committed than before.
        deadline = time.monotonic() + HANG_GUARD_S
        target = len(seen_before_kill) + 10
        while run.poll() is None and blob_count(container) < target:
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        if run.poll() is not None:
            break
        run.send_signal(signal.SIGKILL)
        run.wait()
        # A committed blob is complete: each is a whole batch that the restart leaves as it is.
        seen_before_kill.update(read_blobs(container))
    subprocess.run([streamcp, "run", "--quiet", str(config)], env=run_env(azurite), check=True,
                   timeout=HANG_GUARD_S)
    blobs = read_blobs(container)
    assert len(seen_before_kill) >= 10
    for name, data in seen_before_kill.items():
        assert blobs[name] == data, f"{name} changed after the restart"
    assert collections.Counter(bodies(blobs)) == collections.Counter(lines)
    assert len(bodies(blobs)) == len(lines)


def metric(port: int, name: str) -> float | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return None


def test_exactly_once_across_an_azurite_restart_with_errors_counted(
        streamcp: str, azurite: Azurite, tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "20", "--length", "12h")
    config = write_config(tmp_path)
    metrics_port = free_port()
    run = subprocess.Popen([streamcp, "run", "--quiet", "--metrics-listen",
                            f"127.0.0.1:{metrics_port}", str(config)], env=run_env(azurite),
                           stderr=subprocess.PIPE, text=True)
    container = azurite.container("lake")
    deadline = time.monotonic() + HANG_GUARD_S
    while blob_count(container) < 10:
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    azurite.stop()
    archive_errors = 'streamcp_runtime_errors_total{component="archive"}'
    while (metric(metrics_port, archive_errors) or 0) < 2:
        assert run.poll() is None and time.monotonic() < deadline, "the run did not wait"
        time.sleep(0.1)
    azurite.start()
    _, stderr = run.communicate(timeout=HANG_GUARD_S)
    assert run.returncode == 0, stderr
    assert "retrying" in stderr
    assert ACCOUNT_KEY not in stderr
    blobs = read_blobs(azurite.container("lake"))
    assert collections.Counter(bodies(blobs)) == collections.Counter(lines)
    assert len(bodies(blobs)) == len(lines)


class ThrottlingProxy:
    """Forwards requests to Azurite, but answers every fourth one 503 (ServerBusy, Azure's
    throttling) and the one after it 500 (InternalError) without forwarding: Azurite itself
    never throttles."""

    def __init__(self, target_port: int):
        self.answers = collections.Counter()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    number = sum(proxy.answers.values()) + 1
                    status = {2: 503, 3: 500}.get(number % 4, 0)
                    proxy.answers[status or "forwarded"] += 1
                if status:
                    self.send_response(status)
                    self.send_header("x-ms-error-code",
                                     "ServerBusy" if status == 503 else "InternalError")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request("PUT", self.path, body=body, headers=headers)
                reply = upstream.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            def log_message(self, *args):
                pass

        lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_throttling_503_and_500_are_retried(streamcp: str, azurite: Azurite,
                                            tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "3", "--length", "1h")
    proxy = ThrottlingProxy(azurite.port)
    try:
        connection_string = azurite.connection_string().replace(
            f"127.0.0.1:{azurite.port}", f"127.0.0.1:{proxy.port}")
        run = subprocess.run([streamcp, "run", "--quiet", str(write_config(tmp_path))],
                             env=run_env(azurite, connection_string), capture_output=True,
                             text=True, timeout=HANG_GUARD_S)
    finally:
        proxy.close()
    assert run.returncode == 0, run.stderr
    assert proxy.answers[503] >= 5 and proxy.answers[500] >= 5, proxy.answers
    assert "HTTP 503 (ServerBusy); retrying" in run.stderr
    assert "HTTP 500 (InternalError); retrying" in run.stderr
    assert bodies(read_blobs(azurite.container("lake"))) == lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_shared_access_signature(streamcp: str, azurite: Azurite, tmp_path: Path) -> None:
    lines = simulate(streamcp, tmp_path / "in.jsonl", "-n", "2", "--length", "20m")
    azurite.container("lake").create_container()
    sas = blob_sdk.generate_container_sas(
        ACCOUNT, "lake", account_key=ACCOUNT_KEY,
        permission=blob_sdk.ContainerSasPermissions(read=True, write=True, create=True),
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    connection_string = (f"BlobEndpoint=http://127.0.0.1:{azurite.port}/{ACCOUNT};"
                         f"SharedAccessSignature={sas}")
    subprocess.run([streamcp, "run", "--quiet", str(write_config(tmp_path))],
                   env=run_env(azurite, connection_string), check=True, timeout=HANG_GUARD_S)
    assert bodies(read_blobs(azurite.container("lake"))) == lines


@pytest.mark.parametrize("setting, message", [
    ("batch_frequency_seconds = 30", "archive.batch_frequency_seconds"),
    ("max_chunk_bytes = 1000", "archive.max_chunk_bytes"),
    ('path_format = "{iothub}/{YYYY}/{MM}/{DD}/{HH}/{mm}"', "lacks {partition}"),
    ('path_format = "{iothub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}/{ss}"', "unknown token {ss}"),
    ('format = "parquet"', "allowed avro, json"),
    ("blob_tier = 1", "blob_tier"),
])
def test_bad_settings_are_refused_by_name(streamcp: str, azurite: Azurite, tmp_path: Path,
                                          setting: str, message: str) -> None:
    simulate(streamcp, tmp_path / "in.jsonl", "-n", "1", "--length", "2m")
    refused = subprocess.run([streamcp, "run", "--quiet", str(write_config(tmp_path, setting))],
                             env=run_env(azurite), capture_output=True, text=True,
                             timeout=HANG_GUARD_S)
    assert refused.returncode != 0
    assert message in refused.stderr, refused.stderr


def test_a_wrong_key_fails_without_printing_the_secret(streamcp: str, azurite: Azurite,
                                                       tmp_path: Path) -> None:
    simulate(streamcp, tmp_path / "in.jsonl", "-n", "1", "--length", "2m")
    wrong_key = "d3JvbmcgYnV0IHZhbGlkIGJhc2U2NCBrZXkgZm9yIHRoZSB0ZXN0IQ=="
    connection_string = azurite.connection_string().replace(ACCOUNT_KEY, wrong_key)
    refused = subprocess.run([streamcp, "run", "--quiet", str(write_config(tmp_path))],
                             env=run_env(azurite, connection_string), capture_output=True,
                             text=True, timeout=HANG_GUARD_S)
    assert refused.returncode != 0
    assert "HTTP 403" in refused.stderr, refused.stderr
    assert wrong_key not in refused.stderr and "AccountKey" not in refused.stderr
