#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pandas: a frame with ISO-8601 string timestamps versus the same frame with datetime64.

Scores N rows over K keys with ``streamcp.pandas.detect`` (confidence 80, history 12,
duration 30m) twice: once with the timestamp column as datetime64[ns], once as ISO-8601
strings (``2019-11-18T19:00:00.000000Z``), read by the project's C++ grammar
(docs/semantics.md#text-timestamps). Prints each best-of-R time, the ratio (target <= 1.5),
and, for reference, the string conversion alone against ``pd.to_datetime(format="ISO8601")``.

Usage: python bench/python/bench_iso_frame.py [--rows N] [--keys K] [--repeat R]
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable

import numpy as np
import pandas as pd

import streamcp.pandas
from streamcp._convert import to_times_ns


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    stamps = pd.Timestamp("2019-11-18T19:00:00") + pd.to_timedelta(
        np.sort(rng.integers(0, 86_400 * 10**9, args.rows)), unit="ns"
    )
    frame = pd.DataFrame(
        {
            "device": rng.integers(0, args.keys, args.rows),
            "temp": rng.normal(20.0, 1.0, args.rows),
            "time": pd.Series(stamps).astype("datetime64[ns]"),
        }
    )
    iso = frame.assign(time=frame["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    kwargs = dict(value="temp", timestamp="time", partition_by="device", confidence=80, history=12, duration="30m")

    datetime64_s = best_of(args.repeat, lambda: streamcp.pandas.detect(frame, **kwargs))
    iso_s = best_of(args.repeat, lambda: streamcp.pandas.detect(iso, **kwargs))
    ours_s = best_of(args.repeat, lambda: to_times_ns(iso["time"]))
    pandas_s = best_of(args.repeat, lambda: pd.to_datetime(iso["time"], format="ISO8601", utc=True).dt.as_unit("ns"))
    print(f"rows {args.rows}, keys {args.keys}, best of {args.repeat}, column dtype {iso['time'].dtype}")
    print(f"detect, datetime64 column: {datetime64_s:.3f} s")
    print(f"detect, ISO-8601 strings:  {iso_s:.3f} s")
    print(f"ratio ISO / datetime64:    {iso_s / datetime64_s:.2f} (target <= 1.5)")
    print(f"strings alone: streamcp's grammar {ours_s:.3f} s, pd.to_datetime {pandas_s:.3f} s "
          f"({ours_s / pandas_s:.2f}x)")


if __name__ == "__main__":
    main()
