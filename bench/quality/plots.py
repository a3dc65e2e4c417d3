# SPDX-License-Identifier: MIT
"""Plots: one PNG per TCPD series (values, annotations, each mode's change points) and per NAB
file (values, windows shaded, each method's alerts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import tcpd  # noqa: E402

#: Marker style per mode: (colour, label).
STYLE = {"asa": ("tab:red", "ASA alerts (95, 20)"), "robust": ("tab:green", "robust onsets")}


def plot_series(
    series: tcpd.Series,
    detections: Mapping[str, tcpd.Detection],
    scores: Mapping[str, tcpd.Score],
    path: Path,
) -> None:
    """Writes ``path``: the series, annotations as grey lines, each mode's change points."""
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=80)
    x = range(series.n_obs)
    for d in range(series.values.shape[1]):
        ax.plot(x, series.values[:, d], color="black", lw=0.9)
    annotated = sorted({c for a in series.annotations.values() for c in a})
    for i, c in enumerate(annotated):
        ax.axvline(c, color="0.6", lw=3, alpha=0.5, label="annotations" if i == 0 else None)
    finite = series.values[~(series.values != series.values)]  # drop NaN
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    for k, (mode, det) in enumerate(detections.items()):
        colour, label = STYLE.get(mode, ("tab:blue", mode))
        y = low + (high - low) * (0.95 - 0.08 * k)
        sc = scores[mode]
        ax.plot(
            det.locations,
            [y] * len(det.locations),
            linestyle="none",
            marker="v",
            color=colour,
            label=f"{label}: F1 {sc.f1:.2f}, Cover {sc.cover:.2f}",
        )
        for loc in det.locations:
            ax.axvline(loc, color=colour, lw=0.8, ls="--")
    ax.set_title(f"{series.name} (n={series.n_obs})")
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_all(
    series_list: Sequence[tcpd.Series],
    results: Mapping[str, Sequence[tcpd.SeriesResult]],
    modes: Mapping[str, tuple[tcpd.Detector, dict[str, Any], Any]],
    outdir: Path,
) -> list[Path]:
    """One PNG per series with each mode's default-parameter detections; returns the paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for s in series_list:
        detections = {}
        scores = {}
        for mode in results:
            detector, default, _ = modes[mode]
            det = tcpd.detect_series(detector, s, default)
            detections[mode] = det
            scores[mode] = tcpd.score(s, det)
        path = outdir / f"{s.name}.png"
        plot_series(s, detections, scores, path)
        written.append(path)
    return written


def plot_nab(bench: Any, methods: Sequence[Any], outdir: Path) -> list[Path]:
    """One PNG per NAB file: the values, NAB's windows shaded, the probationary rows (not
    scored) greyed, and each method's alerts as markers with its standard-profile score."""
    import benchmarks  # noqa: PLC0415 (sibling; imported here to avoid a cycle)

    outdir.mkdir(parents=True, exist_ok=True)
    colours = ("tab:red", "tab:orange", "tab:green", "tab:blue")
    written = []
    for s in bench.nab_series:
        df = bench.scorer.corpus.files[s.rel]
        fig, ax = plt.subplots(figsize=(11, 3.2), dpi=80)
        ax.plot(range(len(s.values)), s.values, color="black", lw=0.6)
        ax.axvspan(0, df.first_scored, color="0.85", label="probation (not scored)")
        for i, (start, end) in enumerate(df.windows):
            ax.axvspan(start, end, color="gold", alpha=0.4, label="NAB windows" if i == 0 else None)
        low, high = float(np.min(s.values)), float(np.max(s.values))
        for k, m in enumerate(methods):
            raised = benchmarks.alerts(m.kind, m.params, s.values)
            score = bench.parts(m.kind, m.params).nab[s.rel]["standard"]
            y = high + (high - low) * (0.05 + 0.07 * k)
            ax.plot(raised, [y] * len(raised), linestyle="none", marker="v", ms=4,
                    color=colours[k % len(colours)], label=f"{m.name}: {len(raised)} alerts, raw {score:.2f}")
        ax.set_title(s.rel)
        ax.legend(loc="lower left", fontsize=6)
        fig.tight_layout()
        path = outdir / ("nab_" + s.rel.replace("/", "_").removesuffix(".csv") + ".png")
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
