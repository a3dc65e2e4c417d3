#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads the Google Benchmark JSON files of scripts/bench and prints a table and the target
ratios of issue 5, each computed from this one run."""

import json
import pathlib
import sys


def load(results: pathlib.Path) -> dict:
    runs = {}
    for path in sorted(results.glob("bench_*.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:  # a program whose benchmarks --filter all excluded
            continue
        for b in data.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue
            parts = [p for p in b["name"].split("/") if not p.startswith("iterations:")]
            runs["/".join(parts)] = b
    return runs


def ns_per_item(b: dict) -> float:
    return 1e9 / b["items_per_second"]


def fmt_rate(x: float) -> str:
    return f"{x / 1e6:.2f} M/s" if x >= 1e6 else f"{x / 1e3:.1f} k/s"


def main() -> int:
    results = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench/results")
    runs = load(results)
    if not runs:
        print(f"no results in {results}", file=sys.stderr)
        return 1

    print(f"\n{'benchmark':44} {'cpu ns/iter':>12} {'items/s':>12}  extra")
    for name, b in runs.items():
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        extra = []
        for key in ("ns_per_value", "bytes_per_key", "raw_bytes_per_key"):
            if key in b:
                extra.append(f"{key}={b[key]:.4g}")
        if "bytes_per_second" in b:
            extra.append(f"{b['bytes_per_second'] / 2**20:.0f} MiB/s")
        if b.get("label"):
            extra.append(b["label"])
        rate = fmt_rate(b["items_per_second"]) if "items_per_second" in b else ""
        print(f"{name:44} {b['cpu_time'] * unit:12.1f} {rate:>12}  {' '.join(extra)}")

    print("\nissue 5 targets (ratios from this run):")

    def ratio(label, num, den, target, better="ge"):
        if num is None or den is None:
            print(f"  {label:62} n/a (not run)")
            return
        r = num / den
        ok = r >= target if better == "ge" else r <= target
        sign = ">=" if better == "ge" else "<="
        print(f"  {label:62} {r:7.2f}   target {sign} {target:g}  {'met' if ok else 'NOT met'}")

    def get(name, field):
        b = runs.get(name)
        return None if b is None or field not in b else b[field]

    for h in (600, 6000):
        ratio(f"model h={h}: fast / exact events/s",
              get(f"BM_update_fast/{h}", "items_per_second"),
              get(f"BM_update_exact/{h}", "items_per_second"), 4)
    for h in (60, 600, 6000):
        floor = runs.get(f"BM_erf_exp_floor/{h}")
        floor_ns = ns_per_item(floor) if floor else None
        ratio(f"model h={h}: fast ns per stored value / erf+exp floor",
              get(f"BM_update_fast/{h}", "ns_per_value"), floor_ns, 1.5, "le")
        exact = get(f"BM_update_exact/{h}", "ns_per_value")
        if exact is not None and floor_ns:
            print(f"  {f'  (exact path for reference: {exact / floor_ns:.2f})':62}")
    for path in ("exact", "fast"):
        ratio(f"function h=12 ({path}): 10^6 keys / 1 key events/s",
              get(f"BM_function_{path}/1000000/12", "items_per_second"),
              get(f"BM_function_{path}/1/12", "items_per_second"), 0.5)
    for h in (12, 60):
        ratio(f"function h={h}: heap bytes per key / raw state",
              get(f"BM_function_exact/1000000/{h}", "bytes_per_key"),
              get(f"BM_function_exact/1000000/{h}", "raw_bytes_per_key"), 1.5, "le")
    return 0


if __name__ == "__main__":
    sys.exit(main())
