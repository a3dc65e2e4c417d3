# SPDX-License-Identifier: MIT
"""streamcp's Event Hubs connectors and Microsoft's SDK through the double, both directions:
SDK producer -> double -> `streamcp run` (eventhubs source), and `streamcp run` (eventhubs sink)
-> double -> SDK consumer. Counts are exact; order holds per device."""

import datetime as dt
import json
import os
import subprocess
import threading
import time

import pytest
from azure.eventhub import EventData, EventHubProducerClient

from sdk_reader import read_events
from test_sdk_against_double import azure_partition, text

DEVICES = 10
PER_DEVICE = 100
QUERY = """
[query]
value = "temp"
timestamp = "datetime"
partition_by = "device"
confidence = 80
history = 12
duration = "30m"
only_anomalies = false
project = false
"""


def telemetry():
    """PER_DEVICE readings for each of DEVICES devices, one minute apart, interleaved."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for step in range(PER_DEVICE):
        for device in range(DEVICES):
            yield {"device": f"dev-{device}", "temp": 20.0 + (step * 7 + device) % 13,
                   "datetime": (start + dt.timedelta(minutes=step)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "step": step}


def run_streamcp(binary, workdir, config_text, env, timeout=240):
    config = workdir / "job.toml"
    config.write_text(config_text)
    result = subprocess.run([binary, "run", str(config)], env=dict(os.environ, **env),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result


def assert_per_device_order(records):
    steps = {}
    for record in records:
        steps.setdefault(record["device"], []).append(record["step"])
    assert sorted(steps) == [f"dev-{d}" for d in range(DEVICES)]
    assert all(values == list(range(PER_DEVICE)) for values in steps.values())


def test_sdk_producer_to_streamcp_source(start_double, workdir, streamcp_binary):
    double = start_double("--hub", "telemetry:4")
    producer = EventHubProducerClient.from_connection_string(double.connection_string("telemetry"))
    records = list(telemetry())
    with producer:
        # Half in batches of one device each (format 0x80013700), half one event per message.
        for device in range(DEVICES // 2):
            batch = producer.create_batch(partition_key=f"dev-{device}")
            for record in records:
                if record["device"] == f"dev-{device}":
                    batch.add(EventData(json.dumps(record)))
            producer.send_batch(batch)
        for record in records:
            if int(record["device"].split("-")[1]) >= DEVICES // 2:
                producer.send_event(EventData(json.dumps(record)), partition_key=record["device"])
    output = workdir / "out.jsonl"
    run_streamcp(streamcp_binary, workdir, f"""
[source]
type = "eventhubs"
connection_string_env = "SDK_SOURCE_CONNECTION"
start = "earliest"
stop_when_idle = "3s"
{QUERY}
[[sinks]]
type = "file"
path = "{output}"
""", {"SDK_SOURCE_CONNECTION": double.connection_string("telemetry")})
    lines = output.read_text().splitlines()
    assert len(lines) == DEVICES * PER_DEVICE
    read = [json.loads(line) for line in lines]
    assert_per_device_order(read)
    for record in read:
        assert record["PartitionId"] == azure_partition(record["device"], 4)
        assert "EventEnqueuedUtcTime" in record


@pytest.mark.parametrize("shape", ["lines", "array"])
def test_streamcp_sink_to_sdk_consumer(start_double, workdir, streamcp_binary, shape):
    double = start_double("--hub", "anomalies:4")
    source = workdir / "in.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in telemetry()))
    run_streamcp(streamcp_binary, workdir, f"""
[source]
type = "file"
path = "{source}"
{QUERY}
[[sinks]]
type = "eventhubs"
connection_string_env = "SDK_SINK_CONNECTION"
partition_key = "device"
format = "{shape}"
""", {"SDK_SINK_CONNECTION": double.connection_string("anomalies")})
    total = DEVICES * PER_DEVICE
    # Arrays hold several records each: read until the hub is quiet, then count records.
    received, errors = read_events(double.connection_string("anomalies"),
                                   total if shape == "lines" else None, timeout=60, settle=2.0)
    assert not errors
    records = []
    for partition, event in received:
        assert text(event.content_type) == "application/json"
        assert event.message_id
        body = json.loads(event.body_as_str())
        batch = body if shape == "array" else [body]
        for record in batch:
            assert text(event.partition_key) == record["device"]
            assert partition == str(azure_partition(record["device"], 4))
        records.extend(batch)
    assert len(records) == total
    assert len({json.dumps(r, sort_keys=True) for r in records}) == total  # each once
    assert_per_device_order(records)


def test_streamcp_source_keeps_an_idle_connection_alive(start_double, workdir, streamcp_binary):
    double = start_double("--hub", "quiet:2", "--idle-timeout", "2s", "--verbose")
    output = workdir / "out.jsonl"

    def send_later():
        time.sleep(6)  # three idle timeouts with nothing to read
        with EventHubProducerClient.from_connection_string(double.connection_string("quiet")) as p:
            for i in range(20):
                p.send_event(EventData(json.dumps({"device": "d", "temp": i, "step": i,
                                                   "datetime": f"2026-01-01T00:{i:02d}:00Z"})),
                             partition_key="d")

    sender = threading.Thread(target=send_later)
    sender.start()
    run_streamcp(streamcp_binary, workdir, f"""
[source]
type = "eventhubs"
connection_string_env = "SDK_QUIET_CONNECTION"
start = "earliest"
stop_when_idle = "10s"
{QUERY}
[[sinks]]
type = "file"
path = "{output}"
""", {"SDK_QUIET_CONNECTION": double.connection_string("quiet")})
    sender.join()
    assert len(output.read_text().splitlines()) == 20
    assert "idle-timeout expired" not in double.stderr()


def test_streamcp_sink_keeps_an_idle_connection_alive(start_double, workdir, streamcp_binary):
    double = start_double("--hub", "quiet:2", "--idle-timeout", "2s", "--verbose")
    config = workdir / "job.toml"
    config.write_text(f"""
[source]
type = "stdin"
{QUERY}
[[sinks]]
type = "eventhubs"
connection_string_env = "SDK_QUIET_SINK"
partition_key = "device"
""")
    records = [{"device": "d", "temp": i, "step": i, "datetime": f"2026-01-01T00:{i:02d}:00Z"}
               for i in range(20)]
    job = subprocess.Popen([streamcp_binary, "run", str(config)], stdin=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, SDK_QUIET_SINK=double.connection_string("quiet")))
    for record in records[:10]:
        job.stdin.write(json.dumps(record) + "\n")
    job.stdin.flush()
    time.sleep(6)  # three idle timeouts with nothing to send
    for record in records[10:]:
        job.stdin.write(json.dumps(record) + "\n")
    job.stdin.close()
    assert job.wait(timeout=120) == 0, job.stderr.read()
    job.stderr.close()
    received, errors = read_events(double.connection_string("quiet"), 20)
    assert not errors
    assert [json.loads(event.body_as_str())["step"] for _, event in received] == list(range(20))
    assert "idle-timeout expired" not in double.stderr()
