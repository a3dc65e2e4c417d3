#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pandas: peak memory of ``streamcp.pandas.detect`` above the input and the returned frame.

Each case runs in a subprocess of its own: it builds a frame of N rows over K keys (a
``device`` column of strings or integers, ``temp`` float64, ``time`` datetime64[ns]), resets
the kernel's peak-RSS mark (``/proc/self/clear_refs``), scores the frame (confidence 80,
history 12, duration 30m) and reads the peak (VmHWM). The overhead is

    peak RSS - RSS before the call (the input frame held) - the returned frame's size

where the returned frame's size is ``memory_usage(index=True, deep=False)``: its string keys
are the input's objects, shared. Target: overhead <= 200 MiB at 5e6 rows over 1e4 keys.

Cases: ``sorted`` (rows in time order), ``by-key`` (rows grouped by key, so detect has to
sort them by time), each with string keys, and ``int-keys`` (rows grouped by an integer key).

Usage: python bench/python/bench_detect_memory.py [--rows N] [--keys K] [--case C ...]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from typing import Any

MIB = 1024 * 1024
CASES = ("sorted", "by-key", "int-keys")


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    msg = f"/proc/self/status has no {field}"
    raise RuntimeError(msg)


def _frame(rows: int, keys: int, case: str) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    times = np.sort(rng.integers(0, 86_400 * 10**9, rows))  # one day
    device = rng.integers(0, keys, rows)
    if case != "sorted":
        # Grouped by key, each key's events in time order: a frame built key by key.
        order = np.lexsort((times, device))
        times, device = times[order], device[order]
    frame = pd.DataFrame(
        {
            "device": device if case == "int-keys" else np.array([f"dev-{k:05d}" for k in range(keys)], dtype=object)[device],
            "temp": rng.normal(20.0, 1.0, rows),
            "time": (np.datetime64("2019-11-18T19:00:00", "ns") + times.astype("timedelta64[ns]")),
        }
    )
    return frame


def run_case(rows: int, keys: int, case: str) -> dict[str, Any]:
    """Runs in the child: builds the frame, resets the peak mark, detects, measures."""
    import streamcp.pandas

    frame = _frame(rows, keys, case)
    gc.collect()
    before_kib = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")  # resets VmHWM to the current RSS
    start = time.perf_counter()
    out = streamcp.pandas.detect(
        frame, value="temp", timestamp="time", partition_by="device", confidence=80, history=12, duration="30m"
    )
    seconds = time.perf_counter() - start
    peak_kib = _status_kib("VmHWM")
    returned = int(out.memory_usage(index=True, deep=False).sum())
    return {
        "case": case,
        "rows": rows,
        "keys": keys,
        "seconds": seconds,
        "input_mib": int(frame.memory_usage(index=True, deep=False).sum()) / MIB,
        "returned_mib": returned / MIB,
        "peak_above_input_mib": (peak_kib - before_kib) / 1024,
        "overhead_mib": (peak_kib - before_kib) / 1024 - returned / MIB,
        "anomalies": int(out["IsAnomaly"].sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--case", choices=CASES, nargs="+", default=list(CASES))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_case(args.rows, args.keys, args.case[0])))
        return

    print(f"rows {args.rows}, keys {args.keys}; overhead = peak RSS - RSS before - returned frame")
    worst = 0.0
    for case in args.case:
        command = [sys.executable, __file__, "--child", "--rows", str(args.rows), "--keys", str(args.keys), "--case", case]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        worst = max(worst, result["overhead_mib"])
        print(
            f"  {case:9s} input {result['input_mib']:6.1f} MiB, returned {result['returned_mib']:6.1f} MiB, "
            f"peak above input {result['peak_above_input_mib']:7.1f} MiB, "
            f"overhead {result['overhead_mib']:6.1f} MiB, {result['seconds']:.2f} s"
        )
    print(f"worst overhead: {worst:.1f} MiB (target <= 200)")


if __name__ == "__main__":
    main()
