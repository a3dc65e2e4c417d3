#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python batch overhead: ChangePointDetector.update_many versus the same loop in C++.

Scores 10^6 events at history 12 (confidence 95, power martingale) through
``streamcp.ChangePointDetector.update_many`` (numpy in, structured array out) and through a
plain C++ loop of ``change_point_detector::update`` over the same values, measured in the
same process, and prints the ratio of the two (best of several runs each). Target: <= 1.2.

Usage: python bench/python/bench_update_many.py [--events N] [--history W] [--repeat R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import streamcp
from streamcp import _core


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    values = rng.normal(20.0, 1.0, args.events)
    values[args.events // 2 :] += 3.0

    python_times, cpp_times = [], []
    for _ in range(args.repeat):
        det = streamcp.ChangePointDetector(95, args.history)
        start = time.perf_counter()
        det.update_many(values)
        python_times.append(time.perf_counter() - start)
        cpp_times.append(_core.model._update_loop_seconds(values, 95.0, args.history))

    py_best, cpp_best = min(python_times), min(cpp_times)
    print(f"events {args.events}, history {args.history}, best of {args.repeat}")
    print(f"  update_many (Python): {py_best * 1e3:9.2f} ms  ({py_best / args.events * 1e9:6.1f} ns/event)")
    print(f"  C++ update loop:      {cpp_best * 1e3:9.2f} ms  ({cpp_best / args.events * 1e9:6.1f} ns/event)")
    print(f"  ratio update_many / C++ loop: {py_best / cpp_best:.3f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
