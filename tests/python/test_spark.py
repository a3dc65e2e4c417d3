# SPDX-License-Identifier: MIT
"""streamcp.spark.detect equals `streamcp detect` row for row (label spark: needs pyspark, Java
and the streamcp command; scripts/test runs them in build/spark-venv)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

pyspark = pytest.importorskip("pyspark")

from pyspark.sql import functions as F  # noqa: E402, N812
from pyspark.sql import types as T  # noqa: E402, N812
from spark_support import (  # noqa: E402, F401 (cli and seed are pytest fixtures)
    SPARK_MARKS,
    CLI_QUERY,
    QUERY,
    REPO_ROOT,
    cli,
    cli_outputs,
    compare,
    local_session,
    records,
    seed,
    spark_outputs,
)

import streamcp.spark  # noqa: E402

pytestmark = SPARK_MARKS

SCHEMA_TEXT = T.StructType([
    T.StructField("seq", T.LongType()),
    T.StructField("device", T.StringType()),
    T.StructField("temp", T.StringType()),
    T.StructField("datetime", T.StringType()),
    T.StructField("ok", T.BooleanType()),
])


@pytest.fixture(scope="module")
def spark() -> Any:
    # A session time zone far from UTC: timestamps must not depend on it.
    session = local_session("streamcp-tests", "America/Los_Angeles")
    yield session
    session.stop()


def messy(seed: list[str]) -> list[str]:
    """The seed's events with a gap, NULL values, WHEN flags, late arrivals, several UTC
    offsets and bad rows."""
    rng = random.Random(14)
    offsets = ["Z", "+01:00", "-0500", "+05:30", "+02"]
    out = []
    for i, line in enumerate(seed):
        obj = json.loads(line)
        if obj["device"] == seed_device(seed, 1) and 300 <= i < 400:
            continue  # a gap of about 5 minutes: LIMIT DURATION imputes
        instant = dt.datetime.strptime(obj["datetime"], "%Y-%m-%dT%H:%M:%S%z")
        zone = offsets[i % len(offsets)]
        hours, minutes = (0, 0) if zone == "Z" else (int(zone[1:3]), int(zone[3:].lstrip(":") or 0))
        sign = -1 if zone.startswith("-") else 1
        local = instant + sign * dt.timedelta(hours=hours, minutes=minutes)
        fraction = ".250" if i % 7 == 0 else ""
        obj["datetime"] = local.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone
        if i % 37 == 0:
            obj["temp"] = None
        obj["ok"] = None if i % 13 == 0 else i % 11 != 0
        out.append(json.dumps(obj))
    # Late arrivals: some events move 3 to 25 lines later (up to about 80 s late).
    for _ in range(40):
        i = rng.randrange(len(out) - 30)
        out.insert(i + rng.randrange(3, 25), out.pop(i))
    bad = [{"device": "bad", "temp": 20.0, "datetime": "yesterday"},
           {"device": "bad", "temp": 20.0},
           {"device": "bad", "temp": "abc", "datetime": "2019-11-18T19:30:00Z"},
           {"device": "bad", "temp": 1e39, "datetime": "2019-11-18T19:30:00Z"},
           {"device": None, "temp": 21.0, "datetime": "2019-11-18T19:30:00Z"}]
    for k, obj in enumerate(bad):
        out.insert(100 + 50 * k, json.dumps(obj))
    return [json.dumps({"seq": i, **{k: v for k, v in json.loads(line).items() if k != "seq"}})
            for i, line in enumerate(out)]


def seed_device(seed: list[str], index: int) -> str:
    return json.loads(seed[index])["device"]


def scored(frame: Any, **kwargs: Any) -> dict:
    args = {"value": "temp", "timestamp": "datetime", "partition_by": "device", "order_by": "seq",
            **QUERY, **kwargs}
    return spark_outputs(streamcp.spark.detect(frame, **args).collect())


def text_frame(spark: Any, lines: list[str]) -> Any:
    return spark.createDataFrame(records(lines, value_as_text=True), SCHEMA_TEXT)


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_seed_equals_cli(spark: Any, cli: str, seed: list[str], tmp_path: Path,
                         partitions: int) -> None:
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        actual = scored(text_frame(spark, seed))
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "3")
    expected = cli_outputs(cli, seed, tmp_path)
    assert sum(1 for s, a, _ in expected.values() if a == 1) > 0
    assert compare(expected, actual) == []


def test_timestamp_column_is_an_instant(spark: Any, cli: str, seed: list[str],
                                        tmp_path: Path) -> None:
    # Spark timestamps under a non-UTC session zone, numeric values: the same as ISO strings.
    rows = [(s, d, float(t), dt.datetime.strptime(w, "%Y-%m-%dT%H:%M:%S%z"), o)
            for s, d, t, w, o in records(seed, value_as_text=False)]
    schema = T.StructType([
        T.StructField("seq", T.LongType()), T.StructField("device", T.StringType()),
        T.StructField("temp", T.DoubleType()), T.StructField("datetime", T.TimestampType()),
        T.StructField("ok", T.BooleanType())])
    frame = spark.createDataFrame(rows, schema)
    result = streamcp.spark.detect(frame, value="temp", timestamp="datetime",
                                   partition_by="device", order_by="seq", **QUERY)
    assert result.schema["datetime"].dataType == T.TimestampType()
    assert result.schema["Score"].dataType == T.DoubleType()
    assert result.schema["IsAnomaly"].dataType == T.LongType()
    collected = result.collect()
    times = {row["seq"]: row["datetime"] for row in frame.collect()}
    assert all(row["datetime"] == times[row["seq"]] for row in collected)
    assert compare(cli_outputs(cli, seed, tmp_path), spark_outputs(collected)) == []


@pytest.mark.parametrize(("tolerance", "action", "partitions"),
                         [("0s", "adjust", 1), ("30s", "adjust", 3), ("30s", "drop", 8),
                          ("0s", "drop", 3)])
def test_messy_events_equal_cli(spark: Any, cli: str, seed: list[str], tmp_path: Path,
                                tolerance: str, action: str, partitions: int) -> None:
    lines = messy(seed)
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        actual = scored(text_frame(spark, lines), when="ok", out_of_order_tolerance=tolerance,
                        out_of_order_action=action)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "3")
    expected = cli_outputs(cli, lines, tmp_path, "--when", "ok", "--out-of-order-tolerance",
                           tolerance, "--out-of-order-action", action)
    reasons = {r for _, _, r in expected.values() if r}
    assert {"bad_timestamp", "missing_timestamp", "bad_value", "value_out_of_range"} <= reasons
    if action == "drop":
        assert "out_of_order" in reasons
    assert compare(expected, actual) == []


def test_without_partition_or_order(spark: Any, cli: str, seed: list[str],
                                    tmp_path: Path) -> None:
    # One series; without order_by rows go in event-time order, which for the simulator's
    # distinct times is its line order.
    one = [line for line in seed if f'"{seed_device(seed, 0)}"' in line]
    frame = text_frame(spark, one)
    actual = spark_outputs(streamcp.spark.detect(frame, value="temp", timestamp="datetime",
                                                 **QUERY).collect())
    source = tmp_path / "in.jsonl"
    source.write_text("".join(line + "\n" for line in one))
    expected = cli_outputs(cli, one, tmp_path)
    assert compare(expected, actual) == []


def test_bad_key_type_rejects_rows(spark: Any, cli: str, tmp_path: Path) -> None:
    lines = [json.dumps({"seq": i, "device": None if i == 3 else 1.5, "temp": 20.0 + i,
                         "datetime": f"2019-11-18T19:{i:02d}:00Z"}) for i in range(6)]
    frame = spark.createDataFrame(
        [(json.loads(x)["seq"], json.loads(x)["device"], json.loads(x)["temp"],
          json.loads(x)["datetime"]) for x in lines],
        "seq long, device double, temp double, datetime string")
    actual = scored(frame)
    assert compare(cli_outputs(cli, lines, tmp_path), actual) == []
    assert streamcp.spark.rejects(streamcp.spark.detect(
        frame, value="temp", timestamp="datetime", partition_by="device", **QUERY)).count() == 5


def test_arguments_are_checked(spark: Any) -> None:
    frame = spark.createDataFrame([(1, "a", 1.0, "2019-11-18T19:00:00Z")],
                                  "seq long, device string, temp double, datetime string")
    args = {"value": "temp", "timestamp": "datetime", "partition_by": "device", **QUERY}
    with pytest.raises(ValueError, match="confidence"):
        streamcp.spark.detect(frame, **{**args, "confidence": 0})
    with pytest.raises(ValueError, match="'nope' is not a column"):
        streamcp.spark.detect(frame, **{**args, "value": "nope"})
    with pytest.raises(ValueError, match="out_of_order_action"):
        streamcp.spark.detect(frame, **args, out_of_order_action="keep")
    with pytest.raises(TypeError, match="timestamp column 'seq' is bigint"):
        streamcp.spark.detect(frame, **{**args, "timestamp": "seq"})


def test_archive_backfill_equals_cli(spark: Any, cli: str, seed: list[str], tmp_path: Path) -> None:
    # What `streamcp detect --archive` keeps, scored again by examples/spark/seed_job.py's
    # reader and query: the rows the CLI wrote while archiving.
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(line + "\n" for line in seed))
    subprocess.run([cli, "detect", *CLI_QUERY, "-i", str(source), "-o", str(out), "--archive",
                    str(tmp_path / "archive"), "--archive-max-bytes", "4096"], check=True)
    expected = {}
    for line in out.read_text().splitlines():
        obj = json.loads(line)
        expected[obj["seq"]] = (obj["Score"], obj["IsAnomaly"], None)
    spec = importlib.util.spec_from_file_location("seed_job", REPO_ROOT / "examples/spark/seed_job.py")
    seed_job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed_job)
    events = seed_job.read_events(spark, str(tmp_path / "archive"))
    scored = seed_job.score(events.withColumn("seq", F.get_json_object("raw", "$.seq").cast("long")))
    assert len(list((tmp_path / "archive").rglob("*.jsonl"))) > 10
    assert compare(expected, spark_outputs(scored.collect())) == []
