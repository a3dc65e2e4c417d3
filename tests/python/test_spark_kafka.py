# SPDX-License-Identifier: MIT
"""Kafka in and out through Spark's Kafka connector against the real broker scripts/brokers
starts: the anomalies topic gets, byte for byte, the lines `streamcp detect --only-anomalies`
writes, each with the native sink's record id header (label spark)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from pyspark.sql import functions as F  # noqa: E402, N812
from spark_support import (  # noqa: E402, F401 (cli is a pytest fixture)
    SPARK_MARKS,
    CLI_QUERY,
    QUERY,
    REPO_ROOT,
    cli,
    kafka_connector_jars,
    local_session,
    seed_lines,
)

import streamcp.spark  # noqa: E402

pytestmark = SPARK_MARKS


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not kafka_connector_jars():
        pytest.skip("no Spark Kafka connector: run scripts/fetch-brokers spark-kafka")
    run_dir = tmp_path_factory.mktemp("kafka")
    brokers = str(REPO_ROOT / "scripts" / "brokers")
    subprocess.run([brokers, "start", "kafka", "--dir", str(run_dir), "--topics",
                    "telemetry:2,anomalies:2"], check=True, stdout=subprocess.DEVNULL)
    yield f"127.0.0.1:{(run_dir / 'kafka.port').read_text().strip()}"
    subprocess.run([brokers, "stop", "kafka", "--dir", str(run_dir)], check=True,
                   stdout=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def spark() -> Any:
    session = local_session("streamcp-kafka-tests", "Europe/Berlin")
    yield session
    session.stop()


def test_anomalies_topic_holds_the_cli_lines(spark: Any, cli: str, kafka: str,
                                             tmp_path: Path) -> None:
    lines = seed_lines(cli, tmp_path, "--devices", "3", "--length", "2h", "--inject",
                       "3@40m:75-80")
    # Produced keyed by device, so each device's events share a partition in line order.
    telemetry = spark.createDataFrame([(n, x) for n, x in enumerate(lines)], "n long, line string")
    (telemetry.coalesce(1).sortWithinPartitions("n")
     .select(F.get_json_object("line", "$.device").alias("key"), F.col("line").alias("value"))
     .write.format("kafka").option("kafka.bootstrap.servers", kafka)
     .option("topic", "telemetry").save())

    received = (spark.read.format("kafka").option("kafka.bootstrap.servers", kafka)
                .option("subscribe", "telemetry").option("startingOffsets", "earliest").load()
                .select("partition", "offset", F.col("value").cast("string").alias("raw")))
    events = received.select(
        "partition", "offset", "raw",
        F.get_json_object("raw", "$.device").alias("device"),
        F.get_json_object("raw", "$.temp").alias("temp"),
        F.get_json_object("raw", "$.datetime").alias("datetime"))
    scored = streamcp.spark.detect(events, value="temp", timestamp="datetime",
                                   partition_by="device", order_by=["partition", "offset"],
                                   **QUERY)
    (streamcp.spark.to_kafka(scored.where("IsAnomaly = 1"), raw="raw", key="device")
     .write.format("kafka").option("kafka.bootstrap.servers", kafka)
     .option("topic", "anomalies").save())

    out = (spark.read.format("kafka").option("kafka.bootstrap.servers", kafka)
           .option("subscribe", "anomalies").option("startingOffsets", "earliest")
           .option("includeHeaders", "true").load().collect())
    source = tmp_path / "in.jsonl"
    source.write_text("".join(x + "\n" for x in lines))
    expected = subprocess.run([cli, "detect", *CLI_QUERY, "--only-anomalies", "-i", str(source)],
                              check=True, capture_output=True).stdout.splitlines()
    assert len(expected) > 10
    assert sorted(bytes(r["value"]) for r in out) == sorted(expected)
    for record in out:
        (name, value), = [(h["key"], bytes(h["value"])) for h in record["headers"]]
        assert name == streamcp.spark.RECORD_ID_HEADER
        assert value.decode() == hashlib.sha256(bytes(record["value"])).hexdigest()[:32]
        assert record["key"].decode() in bytes(record["value"]).decode()
