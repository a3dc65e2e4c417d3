# SPDX-License-Identifier: MIT
"""Both detection benchmarks in one table: NAB (anomalies, scored by NAB's own scorer on binary
alerts) and TCPD (change points, F1 and Cover), for ASA's documented defaults (95, 20), the
seed's (80, 12), the recommended robust detector at its defaults, and each method's oracle;
with the robust defaults' cross-validated figures beside the in-sample ones.

Usage (from the repository root, after ``pip install .``; ``scripts/quality`` runs it)::

    python bench/quality/benchmarks.py [--tcpd DIR] [--nab DIR] [--nab-scorer FILE]
                                       [--fast] [--no-oracle] [--no-cv] [--plots OUTDIR]

Cross-validation repeats the choice of the robust defaults among ``CV_CANDIDATES`` with one part
of the data left out, and scores that part with the choice: leave one NAB category out (the
choice sees the other NAB categories and all of TCPD), leave one TCPD series out (it sees the
other TCPD series and all of NAB). The criterion is NAB standard / 100 + TCPD F1 + TCPD Cover.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nab  # noqa: E402  (sibling modules)
import run_quality  # noqa: E402
import tcpd  # noqa: E402

import streamcp  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_NAB = REPO_ROOT.parent / "shared" / "data" / "nab"

#: The robust detector's candidates for its defaults (what cross-validation chooses among):
#: the class defaults varied along the axes that moved the scores (docs/quality.md; min_run 2
#: and forget "never" lost everywhere in earlier grids and are left out): 96 without the
#: seasonal comparison, and 24 with it (period_search 100, 200 or 400).
CV_CANDIDATES: list[dict[str, Any]] = tcpd.grid(
    {
        "confidence": (90, 95, 99),
        "history": (50, 300, 450, 600),
        "cooldown": (0, 20, 30, 50),
        "forget": ("always", "outside_range"),
        "period_search": (0,),
    }
) + tcpd.grid(
    {
        "period_search": (100, 200, 400),
        "confidence": (90, 95),
        "history": (300, 450),
        "cooldown": (20, 30),
        "forget": ("outside_range",),
    }
)

#: The robust detector's oracle grid: TCPD's (run_quality.ROBUST_GRID, short histories, input
#: transforms) and this one around the defaults (long histories, cooldowns, forget rules).
ROBUST_NAB_GRID: dict[str, Sequence[Any]] = {
    "confidence": (90, 99, 99.99),
    "history": (50, 600),
    "cooldown": (0, 50, 300),
    "forget": ("always", "outside_range"),
    "min_run": (1, 3),
}


@dataclass
class Method:
    name: str
    kind: str  # "asa" or "robust"
    params: dict[str, Any]
    note: str = ""


METHODS = [
    Method("ASA (exact), ML.NET defaults 95 / 20", "asa", {"confidence": 95, "history": 20}),
    Method("ASA (exact), the seed's 80 / 12", "asa", {"confidence": 80, "history": 12}),
    Method("robust, recommended defaults", "robust", {}),
]


def alerts(kind: str, params: Mapping[str, Any], values: np.ndarray) -> list[int]:
    """The events at which a detector raises an alert (NAB scores alerts as they are raised)."""
    if kind == "asa":
        det = streamcp.ChangePointDetector(params["confidence"], params["history"])
        return [int(i) for i in np.flatnonzero(det.update_many(values)["is_anomaly"])]
    return [int(i) for i in np.flatnonzero(run_quality.make_robust(params).update_many(values)["is_change"])]


def tcpd_detector(kind: str) -> tcpd.Detector:
    return run_quality.asa_detector if kind == "asa" else run_quality.robust_detector


# --------------------------------------------------------------------------------------------
# Per-part scores: one NAB file's raw scores, one TCPD series' F1 and Cover


@dataclass
class Parts:
    """A parameter setting's scores on every part of both benchmarks."""

    nab: dict[str, dict[str, float]] = field(default_factory=dict)  # file -> profile -> raw
    nab_alerts: dict[str, int] = field(default_factory=dict)
    tcpd: dict[str, tuple[float, float]] = field(default_factory=dict)  # series -> (F1, Cover)


class Bench:
    def __init__(self, tcpd_series: Sequence[tcpd.Series], nab_series: Sequence[nab.NabSeries],
                 scorer: nab.NabScorer | None):
        self.tcpd_series = list(tcpd_series)
        self.nab_series = list(nab_series)
        self.scorer = scorer
        self._cache: dict[tuple[str, str], Parts] = {}

    def parts(self, kind: str, params: Mapping[str, Any]) -> Parts:
        key = (kind, repr(sorted(params.items())))
        if key in self._cache:
            return self._cache[key]
        out = Parts()
        for s in self.nab_series:
            assert self.scorer is not None
            raised = alerts(kind, params, s.values)
            out.nab[s.rel] = self.scorer.file_scores(s.rel, raised)
            out.nab_alerts[s.rel] = len(raised)
        detector = tcpd_detector(kind)
        for s in self.tcpd_series:
            sc = tcpd.score(s, tcpd.detect_series(detector, s, params))
            out.tcpd[s.name] = (sc.f1, sc.cover)
        self._cache[key] = out
        return out

    # summaries over a subset of parts
    def nab_norm(self, nab_raw: Mapping[str, Mapping[str, float]], rels: Sequence[str] | None = None) -> dict[str, float]:
        assert self.scorer is not None
        return self.scorer.normalised(nab_raw, rels)

    def criterion(self, p: Parts, nab_rels: Sequence[str], tcpd_names: Sequence[str]) -> float:
        value = 0.0
        if nab_rels:
            value += self.nab_norm(p.nab, nab_rels)["standard"] / 100.0
        if tcpd_names:
            value += float(np.mean([p.tcpd[n][0] + p.tcpd[n][1] for n in tcpd_names]))
        return value


@dataclass
class Row:
    name: str
    nab: dict[str, float] | None  # profile -> normalised score
    nab_alerts: int | None
    f1: float | None
    cover: float | None
    note: str = ""


def summarise(bench: Bench, name: str, p: Parts, note: str = "") -> Row:
    nab_scores = bench.nab_norm(p.nab) if p.nab else None
    f1 = float(np.mean([v[0] for v in p.tcpd.values()])) if p.tcpd else None
    cover = float(np.mean([v[1] for v in p.tcpd.values()])) if p.tcpd else None
    return Row(name, nab_scores, sum(p.nab_alerts.values()) if p.nab else None, f1, cover, note)


def oracle(bench: Bench, kind: str, default: Mapping[str, Any], grid: Sequence[Mapping[str, Any]]) -> Parts:
    """TCPDBench's oracle per TCPD series (best F1 and best Cover separately), and its NAB
    analogue: per file, the setting with the best standard-profile score (all three profiles
    are reported for that setting)."""
    best = bench.parts(kind, default)
    out = Parts(dict(best.nab), dict(best.nab_alerts), dict(best.tcpd))
    for params in grid:
        p = bench.parts(kind, params)
        for rel, sc in p.nab.items():
            if sc["standard"] > out.nab[rel]["standard"]:
                out.nab[rel] = sc
                out.nab_alerts[rel] = p.nab_alerts[rel]
        for name, (f1, cover) in p.tcpd.items():
            f1_best, cover_best = out.tcpd[name]
            out.tcpd[name] = (max(f1, f1_best), max(cover, cover_best))
    return out


def cross_validated(
    bench: Bench, candidates: Sequence[Mapping[str, Any]]
) -> tuple[Parts, dict[str, list[str]], dict[str, Any]]:
    """Each part scored by the candidate chosen without it (module docstring); which candidate
    each held-out part chose; and the candidate chosen on everything (the defaults' rule)."""
    scored = [(dict(c), bench.parts("robust", c)) for c in candidates]
    nab_rels = [s.rel for s in bench.nab_series]
    tcpd_names = [s.name for s in bench.tcpd_series]
    out = Parts()
    chosen: dict[str, list[str]] = {}

    def pick(nab_keep: Sequence[str], tcpd_keep: Sequence[str]) -> tuple[dict[str, Any], Parts]:
        return max(scored, key=lambda cp: bench.criterion(cp[1], nab_keep, tcpd_keep))

    for category in sorted({s.category for s in bench.nab_series}):
        held = [r for r in nab_rels if r.split("/", 1)[0] == category]
        params, p = pick([r for r in nab_rels if r not in held], tcpd_names)
        chosen.setdefault(run_quality.fmt_params(params), []).append(category)
        for r in held:
            out.nab[r] = p.nab[r]
            out.nab_alerts[r] = p.nab_alerts[r]
    for name in tcpd_names:
        params, p = pick(nab_rels, [n for n in tcpd_names if n != name])
        chosen.setdefault(run_quality.fmt_params(params), []).append(name)
        out.tcpd[name] = p.tcpd[name]
    return out, chosen, pick(nab_rels, tcpd_names)[0]


def scorer_command_line(bench: Bench, directory: Path, scorer: Path, methods: Sequence[Method]) -> dict[str, dict[str, float]]:
    """The methods' alerts scored by the scorer's own command line (``--binary``), as NAB users
    would run it: {method: {profile: normalised}}. Must equal the in-process figures."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, m in enumerate(methods):
            results = Path(tmp) / f"alerts_{k}.json"
            report = Path(tmp) / f"report_{k}.json"
            results.write_text(json.dumps(
                {s.rel: {"detections": alerts(m.kind, m.params, s.values)} for s in bench.nab_series}))
            subprocess.run(
                [sys.executable, str(scorer), "--data", str(directory / "data"), "--labels",
                 str(directory / "combined_windows.json"), "--results", str(results), "--binary",
                 "--detector", f"m{k}", "--json", str(report)],
                check=True, stdout=subprocess.DEVNULL)
            out[m.name] = {p: r["normalized"] for p, r in json.loads(report.read_text())[f"m{k}"].items()}
    return out


def table(rows: Sequence[Row]) -> str:
    head = (f"| {'method':44s} | NAB standard | low FP | low FN | alerts | TCPD F1 | Cover |"
            " note |")
    lines = [head, "|" + "---|" * 8]

    def f(v: float | None, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    for r in rows:
        nab_s = r.nab or {}
        lines.append(
            f"| {r.name:44s} | {f(nab_s.get('standard'), '.1f'):>12s} |"
            f" {f(nab_s.get('reward_low_FP_rate'), '.1f'):>6s} | {f(nab_s.get('reward_low_FN_rate'), '.1f'):>6s} |"
            f" {f(r.nab_alerts, 'd'):>6s} | {f(r.f1, '.3f'):>7s} | {f(r.cover, '.3f'):>5s} | {r.note} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpd", type=Path, help="a TCPD-format directory (default as run_quality.py)")
    parser.add_argument("--nab", type=Path, default=SHARED_NAB, help="NAB-format directory (default %(default)s)")
    parser.add_argument("--nab-scorer", type=Path, help="NAB's scorer (default DIR/../../tools/nab_score.py)")
    parser.add_argument("--fast", action="store_true",
                        help="the bundled TCPD series, defaults only, no oracle, no CV (CI)")
    parser.add_argument("--no-oracle", action="store_true")
    parser.add_argument("--no-cv", action="store_true")
    parser.add_argument("--plots", type=Path, metavar="OUTDIR", help="NAB plots with the windows shaded")
    args = parser.parse_args(argv)

    if args.fast:
        tcpd_dir = run_quality.BUNDLED_DIR
        names: Sequence[str] | None = None
    else:
        tcpd_dir = args.tcpd or (run_quality.SHARED_DIR if run_quality.SHARED_DIR.is_dir() else run_quality.BUNDLED_DIR)
        names = tcpd.V3_SERIES
    tcpd_series = tcpd.load_directory(tcpd_dir, names)
    print(f"# TCPD: {tcpd_dir}, {len(tcpd_series)} series")

    scorer_path = nab.find_scorer(args.nab, args.nab_scorer) if (args.nab / "combined_windows.json").is_file() else None
    if scorer_path is None:
        print(f"# NAB: skipped: no NAB data and scorer at {args.nab} (pass --nab DIR; the benchmark "
              "data is never bundled)")
        nab_series: list[nab.NabSeries] = []
        scorer = None
    else:
        nab_series = nab.load_series(args.nab)
        scorer = nab.NabScorer(args.nab, scorer_path)
        print(f"# NAB: {args.nab}, {len(nab_series)} series, {sum(scorer.windows(s.rel) for s in nab_series)} "
              f"windows, scored by {scorer_path} on binary alerts")
    bench = Bench(tcpd_series, nab_series, scorer)

    rows = []
    for m in METHODS:
        rows.append(summarise(bench, m.name, bench.parts(m.kind, m.params), "in-sample" if m.kind == "robust" else ""))
    if not (args.fast or args.no_cv):
        cv, chosen, on_all = cross_validated(bench, CV_CANDIDATES)
        rows.append(summarise(bench, "robust, defaults chosen by cross-validation", cv,
                              f"held out; {len(CV_CANDIDATES)} candidates"))
    if not (args.fast or args.no_oracle):
        asa_grid = tcpd.grid(run_quality.ASA_GRID)
        rows.append(summarise(bench, "ASA (exact), oracle", oracle(bench, "asa", METHODS[0].params, asa_grid),
                              f"best per series of {len(asa_grid)}"))
        rob_grid = [p for p in tcpd.grid(run_quality.ROBUST_GRID) if not run_quality.skip("robust", p)]
        rob_grid += tcpd.grid(ROBUST_NAB_GRID)
        rows.append(summarise(bench, "robust, oracle", oracle(bench, "robust", {}, rob_grid),
                              f"best per series of {len(rob_grid)}"))
    if scorer_path is not None:
        by_cli = scorer_command_line(bench, args.nab, scorer_path, METHODS)
        for m, row in zip(METHODS, rows):
            assert row.nab is not None
            if any(abs(by_cli[m.name][p] - row.nab[p]) > 1e-9 for p in nab.PROFILES):
                print(f"MISMATCH: {m.name}: nab_score.py --binary gives {by_cli[m.name]}, in-process {row.nab}")
                return 1
        print("# NAB rows at fixed parameters checked against `nab_score.py --binary` run as a command: equal")
    print()
    print(table(rows))
    if not (args.fast or args.no_cv):
        print(f"\n# cross-validation: chosen on all the data: {on_all}; with each part held out:")
        for params, held in chosen.items():
            print(f"#   {params}: {', '.join(held)}")

    if args.plots is not None and nab_series:
        from plots import plot_nab  # noqa: PLC0415 (matplotlib only when asked)

        written = plot_nab(bench, METHODS, args.plots)
        print(f"\n# wrote {len(written)} NAB PNGs to {args.plots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
