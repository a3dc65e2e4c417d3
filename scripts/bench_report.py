#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads the Google Benchmark JSON files of scripts/bench and prints a table and the target
ratios of issue 5, each computed from this one run."""

import json
import pathlib
import sys


def load(results: pathlib.Path) -> dict:
    """One entry per benchmark: its run, or with --benchmark_repetitions the median of its
    repetitions (on a shared, noisy machine the median is steadier than any one repetition)."""
    runs = {}
    medians = {}
    for path in sorted(results.glob("bench_*.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:  # a program whose benchmarks --filter all excluded
            continue
        for b in data.get("benchmarks", []):
            name = b.get("run_name", b["name"])
            parts = [p for p in name.split("/") if not p.startswith("iterations:")]
            parts = [p for p in parts if not p.startswith("repeats:")]
            key = "/".join(parts)
            if b.get("run_type", "iteration") == "iteration":
                runs.setdefault(key, b)
            elif b.get("aggregate_name") == "median":
                medians[key] = b
    runs.update(medians)
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
        for key in ("ns_per_value", "bytes_per_key", "raw_bytes_per_key", "huge_page_mib"):
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
    # The floor is BM_erf_exp_floor: the fast path's own vectorised erf+exp (AVX2 when the CPU
    # has it, else the scalar fallback on both sides), so fast path / floor compares like with
    # like. The exact path (scalar, glibc exp, bit for bit ML.NET) is shown for reference only.
    for h in (60, 600, 6000):
        floor = runs.get(f"BM_erf_exp_floor/{h}")
        floor_ns = ns_per_item(floor) if floor else None
        ratio(f"model h={h}: fast ns per stored value / erf+exp floor",
              get(f"BM_update_fast/{h}", "ns_per_value"), floor_ns, 1.5, "le")
        notes = []
        exact = get(f"BM_update_exact/{h}", "ns_per_value")
        if exact is not None and floor_ns:
            notes.append(f"exact path {exact / floor_ns:.2f}")
        chain = runs.get(f"BM_pairwise_sum_chain/{h}")
        if chain is not None and floor_ns:
            notes.append(f"S chain alone {ns_per_item(chain) / floor_ns:.2f}")
        if notes:
            print(f"  {'  (' + '; '.join(notes) + ')':62}")
    # One `evaluate` at a time waits for its partition's cache misses (BM_memory_floor: an
    # index entry, then the slot) on top of the 1-key time; batches prefetch ahead instead.
    miss = runs.get("BM_memory_floor/1000000")
    for path in ("exact", "fast"):
        one = get(f"BM_function_{path}/1/12", "items_per_second")
        ratio(f"function h=12 ({path}): 10^6 keys / 1 key events/s",
              get(f"BM_function_{path}/1000000/12", "items_per_second"), one, 0.5)
        if miss is not None and one:
            t1 = 1e9 / one
            bound = t1 / (t1 + ns_per_item(miss))
            print(f"  {f'  (bound one at a time: t1 / (t1 + {ns_per_item(miss):.0f} ns of misses) = {bound:.2f})':62}")
        ratio(f"function h=12 ({path}), evaluate_many: 10^6 keys / 1 key",
              get(f"BM_function_many_{path}/1000000/12", "items_per_second"),
              get(f"BM_function_many_{path}/1/12", "items_per_second"), 0.5)
    for h in (12, 60):
        ratio(f"function h={h}: heap bytes per key / raw state",
              get(f"BM_function_exact/1000000/{h}", "bytes_per_key"),
              get(f"BM_function_exact/1000000/{h}", "raw_bytes_per_key"), 1.5, "le")
    return 0


if __name__ == "__main__":
    sys.exit(main())
