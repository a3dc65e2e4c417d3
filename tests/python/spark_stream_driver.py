# SPDX-License-Identifier: MIT
"""A Spark driver for the kill-and-restart test: detect_stream over a folder of JSON Lines files
to a JSON file sink, one file per micro-batch, Trigger.AvailableNow.

    python spark_stream_driver.py INPUT_DIR CHECKPOINT_DIR OUTPUT_DIR
"""

from __future__ import annotations

import sys

from pyspark.sql import functions as F  # noqa: N812
from spark_support import QUERY, local_session

import streamcp.spark


def main(source: str, checkpoint: str, output: str) -> None:
    spark = local_session("streamcp-kill-restart", "UTC")
    raw = spark.readStream.option("maxFilesPerTrigger", 1).text(source)
    events = raw.select(
        F.get_json_object("value", "$.seq").cast("long").alias("seq"),
        F.get_json_object("value", "$.device").alias("device"),
        F.get_json_object("value", "$.temp").alias("temp"),
        F.get_json_object("value", "$.datetime").alias("datetime"),
    )
    scored = streamcp.spark.detect_stream(events, value="temp", timestamp="datetime",
                                          partition_by="device", order_by="seq",
                                          out_of_order_tolerance="15s", **QUERY)
    query = (scored.writeStream.format("json").option("path", output)
             .option("checkpointLocation", checkpoint).trigger(availableNow=True).start())
    query.awaitTermination()
    spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:4])
