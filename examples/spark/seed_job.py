# SPDX-License-Identifier: MIT
"""The seed's Stream Analytics job on Apache Spark: score JSON Lines telemetry (what
`streamcp simulate` writes, or the archive `streamcp detect --archive` keeps) per device and
print the anomalies. Plain Python or spark-submit:

    streamcp simulate --devices 3 --length 2h --inject 3@40m:75-80 -o telemetry.jsonl
    python examples/spark/seed_job.py telemetry.jsonl            # local[2]
    spark-submit examples/spark/seed_job.py archive/              # every *.jsonl below it

The same rows as `streamcp detect --value temp --timestamp datetime --partition-by device
--confidence 80 --history 12 --duration 30m --only-anomalies` (docs/spark.md).
"""

from __future__ import annotations

import sys

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812

import streamcp.spark


def read_events(spark: SparkSession, path: str) -> DataFrame:
    """Every line as text with its file and position (the arrival order: the archive's names
    sort by time within a source partition); the fields stay text, read by streamcp's rules
    rather than Spark's JSON inference."""
    lines = (spark.read.option("recursiveFileLookup", "true").option("pathGlobFilter", "*.jsonl")
             .text(path)
             .withColumn("file", F.input_file_name())
             .withColumn("line", F.monotonically_increasing_id()))
    return lines.select(
        "file", "line", F.col("value").alias("raw"),
        F.get_json_object("value", "$.device").alias("device"),
        F.get_json_object("value", "$.temp").alias("temp"),
        F.get_json_object("value", "$.datetime").alias("datetime"),
    )


def score(events: DataFrame) -> DataFrame:
    """The seed's query: AnomalyDetection_ChangePoint(temp, 80, 12) OVER (PARTITION BY device
    LIMIT DURATION(minute, 30)), in the files' line order."""
    return streamcp.spark.detect(
        events, value="temp", timestamp="datetime", partition_by="device",
        confidence=80, history=12, duration="30m", order_by=["file", "line"],
    )


def main(path: str) -> None:
    spark = SparkSession.builder.master("local[2]").appName("streamcp-seed-job").getOrCreate()
    scored = score(read_events(spark, path))
    (scored.where("IsAnomaly = 1")
     .select("datetime", "device", "temp", F.col("Score").alias("AnomalyScore"))
     .orderBy("datetime", "device")
     .show(100, truncate=False))
    streamcp.spark.rejects(scored).groupBy("RejectReason").count().show()
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "telemetry.jsonl")
