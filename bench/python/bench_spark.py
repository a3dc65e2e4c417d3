#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""streamcp.spark.detect: scaling from local[1] to local[2], and Spark's cost per event against
streamcp.pandas.detect on the same events.

Generates N events over K devices (one reading per device every 10 s, a shift on every 97th
device), writes them once as Parquet (timestamp, string device, double temp, long seq), and for
each master times only the job: ``detect`` on the Parquet file, written to a ``noop`` sink (the
session is started and warmed on a small frame first). At local[1] it also times the same
shuffle, sort and Arrow round trip (``mapInArrow``) with a Python function that returns its
input (what Spark costs before streamcp does anything). Then times ``streamcp.pandas.detect`` on the same events
in this process. Prints seconds, events/s and the ratios local[1]/local[2] (target >= 1.6 on
two otherwise idle cores) and spark local[1] / pandas, and the share of the Spark plumbing. It also
prints the cores each master kept busy (the whole machine's busy CPU time over the job's wall
time), which bounds the scaling: local[1] already overlaps the JVM and the Python worker.

Usage: python bench/python/bench_spark.py [--events N] [--devices K] [--short]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_events(events: int, devices: int) -> pd.DataFrame:
    rng = np.random.default_rng(14)
    ticks = events // devices
    device = np.tile(np.array([f"dev{d:06d}" for d in range(devices)], dtype=object), ticks)
    step = np.repeat(np.arange(ticks, dtype=np.int64), devices)
    temp = rng.uniform(20.0, 25.0, ticks * devices)
    shifted = (np.tile(np.arange(devices), ticks) % 97 == 0) & (step > ticks // 2)
    temp[shifted] += 50.0
    start = np.datetime64("2019-11-18T19:00:00", "us")
    return pd.DataFrame({
        "seq": np.arange(ticks * devices, dtype=np.int64),
        "device": device,
        "temp": temp,
        # UTC-aware, so Parquet marks it an instant and Spark reads a timestamp (not _ntz).
        "datetime": pd.to_datetime(start + step * np.timedelta64(10, "s")).tz_localize("UTC"),
    })


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (/proc/stat): the JVM's threads and the
    Python workers alike, which per-process counters would split."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def time_spark(master: str, parquet: Path, partitions: int) -> tuple[float, float, float | None]:
    """Seconds of the detect job, the cores it kept busy on average, and (at local[1]) the
    seconds of the same plumbing without scoring."""
    from pyspark.sql import SparkSession  # noqa: PLC0415

    import streamcp.spark  # noqa: PLC0415

    # The Python workers run this interpreter, where streamcp is installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(master).appName(f"bench-{master}")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", str(partitions))
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    args = {"value": "temp", "timestamp": "datetime", "partition_by": "device",
            "order_by": "seq", "confidence": 80, "history": 12, "duration": "30m"}
    frame = spark.read.parquet(str(parquet))
    # Warm-up: the Python workers and the JIT, on a small slice.
    streamcp.spark.detect(frame.limit(10_000), **args).write.format("noop").mode("overwrite").save()
    busy_before = busy_cpu_seconds()
    start = time.perf_counter()
    streamcp.spark.detect(frame, **args).write.format("noop").mode("overwrite").save()
    elapsed = time.perf_counter() - start
    cores = (busy_cpu_seconds() - busy_before) / elapsed
    plumbing = None
    if master == "local[1]":
        # detect's plan without the scoring: shuffle by key, sort by (key, seq), Arrow batches to
        # the Python worker and back.
        start = time.perf_counter()
        (frame.repartition("device").sortWithinPartitions("device", "seq")
         .mapInArrow(lambda batches: batches, frame.schema)
         .write.format("noop").mode("overwrite").save())
        plumbing = time.perf_counter() - start
    spark.stop()
    return elapsed, cores, plumbing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--short", action="store_true", help="2*10^5 events over 10^3 devices")
    args = parser.parse_args()
    if args.short:
        args.events, args.devices = 200_000, 1_000

    import streamcp.pandas  # noqa: PLC0415

    events = make_events(args.events, args.devices)
    n = len(events)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "events.parquet"
        events.to_parquet(parquet)
        # Two shuffle partitions per core: both cores stay busy to the end of the job.
        one, cores_one, plumbing = time_spark("local[1]", parquet, 2)
        two, cores_two, _ = time_spark("local[2]", parquet, 4)
    start = time.perf_counter()
    streamcp.pandas.detect(events, value="temp", timestamp="datetime", partition_by="device",
                           confidence=80, history=12, duration="30m")
    pandas_seconds = time.perf_counter() - start

    print(f"{n} events, {args.devices} devices, history 12")
    print(f"spark local[1]          {one:8.2f} s  {n / one:12.0f} events/s")
    print(f"spark local[2]          {two:8.2f} s  {n / two:12.0f} events/s")
    print(f"spark local[1] plumbing {plumbing:8.2f} s  (shuffle, sort, Arrow to Python and back; no scoring)")
    print(f"streamcp.pandas.detect  {pandas_seconds:8.2f} s  {n / pandas_seconds:12.0f} events/s")
    print(f"scaling local[1]/local[2]: {one / two:.2f}x (target >= 1.6 on two idle cores)")
    # local[1] is one task thread, but the JVM's other threads and the Python worker run beside
    # it: the cores it keeps busy bound what a second task thread can add.
    print(f"cores busy (machine, /proc/stat): local[1] {cores_one:.2f}, local[2] {cores_two:.2f}; "
          f"scaling ceiling on {os.cpu_count()} cores: {os.cpu_count() / cores_one:.2f}x")
    print(f"cost per event, spark local[1] / pandas: {one / pandas_seconds:.2f}x")
    print(f"share of local[1] in Spark's plumbing: {plumbing / one:.0%}; in the Python function: "
          f"{(one - plumbing) / one:.0%}")


if __name__ == "__main__":
    main()
