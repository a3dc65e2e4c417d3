# SPDX-License-Identifier: MIT
"""What the Spark tests share: the streamcp command and the seed's events (also as the fixtures
`cli` and `seed`), and both sides' results keyed by each event's `seq` field, so that `streamcp
detect` and streamcp.spark compare row for row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
QUERY = {"confidence": 80, "history": 12, "duration": "30m"}
CLI_QUERY = ["--value", "temp", "--timestamp", "datetime", "--partition-by", "device",
             "--confidence", "80", "--history", "12", "--duration", "30m", "--quiet"]

Outputs = dict[int, tuple[Any, Any, Any]]


def local_session(name: str, time_zone: str) -> Any:
    """A local[2] session whose Python workers run this interpreter (where streamcp is)."""
    from pyspark.sql import SparkSession  # noqa: PLC0415

    os.environ["PYSPARK_PYTHON"] = sys.executable
    # Spark's Kafka connector, fetched by `scripts/fetch-brokers spark-kafka`: local files on
    # spark.jars, set on every session since the first one in a process fixes the classpath.
    jars = ",".join(str(p) for p in kafka_connector_jars())
    return (SparkSession.builder.master("local[2]").appName(name)
            .config("spark.jars", jars)
            .config("spark.sql.session.timeZone", time_zone)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "3")
            .getOrCreate())


def kafka_connector_jars() -> list[Path]:
    """The connector fetched for this pyspark's version (tests/spark/pom.xml)."""
    import pyspark  # noqa: PLC0415

    return sorted(REPO_ROOT.glob(f"build/brokers/spark-kafka-{pyspark.__version__}/*.jar"))


def find_cli() -> str | None:
    if os.environ.get("STREAMCP_CLI"):
        return os.environ["STREAMCP_CLI"]
    for candidate in sorted(REPO_ROOT.glob("build/*/src/streamcp")):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


# What every Spark test module is: labelled `spark`, and quiet about pyspark's own warnings.
SPARK_MARKS = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def cli() -> str:
    """The streamcp command the Spark results are compared with."""
    found = find_cli()
    if found is None:
        pytest.skip("no streamcp executable: build it or set STREAMCP_CLI")
    return found


@pytest.fixture(scope="module")
def seed(cli: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three simulated devices over 2 h with anomalies injected at 40 min."""
    return seed_lines(cli, tmp_path_factory.mktemp("seed"), "--devices", "3", "--length", "2h",
                      "--inject", "3@40m:75-80")


def seed_lines(cli: str, tmp: Path, *args: str) -> list[str]:
    """The README's simulated devices, each object given a leading `seq` (its line number)."""
    path = tmp / "simulated.jsonl"
    subprocess.run([cli, "simulate", "-o", str(path), *args], check=True)
    return [f'{{"seq":{i},{line[1:]}' for i, line in enumerate(path.read_text().splitlines())]


def cli_outputs(cli: str, lines: list[str], tmp: Path, *args: str) -> Outputs:
    """seq -> (Score, IsAnomaly, reject reason) as `streamcp detect` writes them."""
    source, out, rej = tmp / "in.jsonl", tmp / "out.jsonl", tmp / "rejects.jsonl"
    source.write_text("".join(line + "\n" for line in lines))
    subprocess.run([cli, "detect", *CLI_QUERY, *args, "-i", str(source), "-o", str(out),
                    "--rejects", str(rej)], check=True)
    result: Outputs = {}
    for line in out.read_text().splitlines():
        obj = json.loads(line)
        result[obj["seq"]] = (obj["Score"], obj["IsAnomaly"], None)
    for line in rej.read_text().splitlines():
        record = json.loads(line)
        result[json.loads(record["raw"])["seq"]] = (None, None, record["reason"])
    return result


def spark_outputs(rows: list[Any]) -> Outputs:
    result: Outputs = {}
    for row in rows:
        result[row["seq"]] = (row["Score"], row["IsAnomaly"], row["RejectReason"])
    return result


def value_text(value: Any) -> Any:
    """A JSON value as a string value column holds it: numbers as their text, strings as is."""
    if value is None or isinstance(value, str):
        return value
    return repr(float(value))


def records(lines: list[str], *, value_as_text: bool) -> list[tuple[Any, ...]]:
    """(seq, device, temp, datetime, ok) per line, as the frame's columns."""
    out = []
    for line in lines:
        obj = json.loads(line)
        temp = obj.get("temp")
        out.append((obj["seq"], obj.get("device"), value_text(temp) if value_as_text else temp,
                    obj.get("datetime"), obj.get("ok")))
    return out


def compare(expected: Outputs, actual: Outputs) -> list[str]:
    """Differences, at most 10 described."""
    diffs = [f"seq {s}: cli {expected.get(s)} spark {actual.get(s)}"
             for s in sorted(set(expected) | set(actual)) if expected.get(s) != actual.get(s)]
    return diffs[:10] + ([f"... {len(diffs)} differences"] if len(diffs) > 10 else [])
