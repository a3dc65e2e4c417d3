# SPDX-License-Identifier: MIT
"""Pick ``confidence`` and ``history`` for labelled data.

:func:`tune` in Python, ``python -m streamcp.tune`` on the command line.

Give it one or more series whose change points you know (from an incident log, say), and
it scores every (confidence, history) pair of a grid with TCPDBench's F1 (margin 5) or Cover
(:mod:`streamcp.metrics`), fresh detector per series, and reports the best pair, the score
of the ASA defaults for comparison, and the whole grid, so the choice can be checked.

Change points found by the ASA detector are the alerting events; by the robust detector
(``robust=True``), the onsets it reports.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np

from ._convert import to_values
from ._detectors import ChangePointDetector
from ._robust import RobustChangePointDetector
from .metrics import MARGIN, covering, f_measure

__all__ = [
    "DEFAULT_CONFIDENCES",
    "DEFAULT_HISTORIES",
    "TuneResult",
    "detect",
    "main",
    "tune",
]

#: The confidence grid (percent). Integers, as ASA truncates the confidence to one.
DEFAULT_CONFIDENCES: tuple[float, ...] = (50, 60, 70, 80, 90, 95, 97, 99, 99.5, 99.9)
#: The history grid (events).
DEFAULT_HISTORIES: tuple[int, ...] = (5, 10, 15, 20, 30, 40, 50, 75, 100)

#: One series' change points: a list (one labeller) or {labeller: list}.
ChangePoints = Union[Sequence[int], Mapping[str, Sequence[int]]]


def detect(values: Any, confidence: float, history: int, *, robust: bool = False) -> list[int]:
    """The change points one fresh detector reports on ``values`` (positions in ``values``).

    ASA mode (:class:`ChangePointDetector`): the alerting events. Robust mode
    (:class:`RobustChangePointDetector`): the onsets of the detected changes.
    """
    if robust:
        det = RobustChangePointDetector(confidence, history, min_history=min(10, history))
        return det.change_points(values)[0]
    rows = ChangePointDetector(confidence, history).update_many(values)
    return [int(i) for i in np.flatnonzero(rows["is_anomaly"])]


def _annotations(cps: ChangePoints) -> dict[str, list[int]]:
    if isinstance(cps, Mapping):
        return {str(k): [int(c) for c in v] for k, v in cps.items()}
    return {"labels": [int(c) for c in cps]}


@dataclass
class TuneResult:
    """What :func:`tune` chose and the evidence for it."""

    confidence: float
    history: int
    metric: str
    #: The chosen pair's score (mean over the series).
    score: float
    #: The score of ML.NET's / ASA's defaults (95, 20), for comparison.
    default_score: float
    #: The score of predicting no change at all: the floor any useful setting must beat.
    no_change_score: float
    robust: bool
    #: Every grid point: (confidence, history, score), in grid order.
    scores: list[tuple[float, int, float]] = field(default_factory=list)

    def report(self, top: int = 10) -> str:
        """A plain-text explanation: the choice, the comparisons, the best grid points."""
        mode = "robust mode (not ASA-compatible)" if self.robust else "ASA semantics"
        lines = [
            f"chose confidence={self.confidence:g}, history={self.history} ({mode})",
            f"because it has the highest mean {self.metric} over the labelled series: "
            f"{self.score:.4f}",
            f"  ASA defaults (95, 20):      {self.default_score:.4f}",
            f"  predicting no change:       {self.no_change_score:.4f}",
            f"  grid: {len(self.scores)} pairs; ties go to the higher confidence, then the "
            "shorter history (fewer alerts, faster warm-up)",
            f"top {min(top, len(self.scores))}:",
        ]
        ranked = sorted(self.scores, key=lambda s: (-s[2], -s[0], s[1]))
        lines += [f"  confidence={c:<6g} history={h:<4d} {self.metric}={v:.4f}" for c, h, v in ranked[:top]]
        if self.score <= self.no_change_score:
            lines.append(
                "warning: no setting beats predicting no change on this data; the detector "
                "may not suit it"
            )
        return "\n".join(lines)


def tune(
    values: Any,
    change_points: ChangePoints | Sequence[ChangePoints],
    *,
    metric: str = "f1",
    robust: bool = False,
    confidences: Sequence[float] = DEFAULT_CONFIDENCES,
    histories: Sequence[int] = DEFAULT_HISTORIES,
    margin: int = MARGIN,
) -> TuneResult:
    """Picks confidence and history that best recover known change points.

    Args:
        values: one series (a 1-D sequence or array; NaN/None = missing) or a list of them.
        change_points: the known change points (0-based positions) of each series: a list,
            or {labeller: list} when several people labelled it (TCPD's format). For a
            list of series, a list of those.
        metric: ``"f1"`` (TCPDBench's F1 with ``margin``) or ``"cover"`` (segmentation
            covering).
        robust: tune :class:`RobustChangePointDetector` instead of the ASA detector.
        confidences, histories: the grid.

    Returns:
        A :class:`TuneResult`; ``print(result.report())`` explains the choice.

    >>> r = tune([0.0, 1.0] * 30 + [10.0, 11.0] * 30, [60], histories=(10, 20))
    >>> (r.confidence, r.history, round(r.score, 3))
    (95.0, 10, 1.0)
    """
    if metric not in ("f1", "cover"):
        msg = f"metric must be 'f1' or 'cover'; got {metric!r}"
        raise ValueError(msg)
    many = not (isinstance(values, np.ndarray) and values.ndim == 1) and (
        len(values) > 0 and not np.isscalar(values[0]) and values[0] is not None
    )
    series = [to_values(v) for v in values] if many else [to_values(values)]
    labels = list(change_points) if many else [change_points]  # type: ignore[list-item]
    if len(labels) != len(series):
        msg = f"{len(series)} series but {len(labels)} sets of change points"
        raise ValueError(msg)
    annotations = [_annotations(cp) for cp in labels]  # type: ignore[arg-type]

    def evaluate(predict: Any) -> float:
        total = 0.0
        for v, ann in zip(series, annotations):
            cps = predict(v)
            if metric == "f1":
                total += f_measure(ann, cps, len(v), margin)
            else:
                total += covering(ann, cps, len(v))
        return total / len(series)

    scores = [
        (float(c), int(h), evaluate(lambda v, c=c, h=h: detect(v, c, h, robust=robust)))
        for c in confidences
        for h in histories
    ]
    best = min(scores, key=lambda s: (-s[2], -s[0], s[1]))
    return TuneResult(
        confidence=best[0],
        history=best[1],
        metric=metric,
        score=best[2],
        default_score=evaluate(lambda v: detect(v, 95.0, 20, robust=robust)),
        no_change_score=evaluate(lambda v: []),
        robust=robust,
        scores=scores,
    )


# --------------------------------------------------------------------------------------------
# Command line


def _read_csv(
    path: Path, column: str | None, label_column: str | None
) -> tuple[list[float], list[int]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        msg = f"{path}: no rows"
        raise ValueError(msg)
    names = list(rows[0])
    column = column or next((n for n in names if n != label_column), names[0])
    values = [float(r[column]) if r[column].strip() not in ("", "null", "NULL") else math.nan for r in rows]
    labels = []
    if label_column:
        labels = [i for i, r in enumerate(rows) if r[label_column].strip() not in ("", "0", "false", "False")]
    return values, labels


def _read_tcpd(path: Path, annotations: Path | None) -> tuple[list[float], dict[str, list[int]]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    raw = doc["series"][0]["raw"]
    values = [math.nan if v is None else float(v) for v in raw]
    ann: dict[str, list[int]] = {}
    if annotations is not None:
        ann = json.loads(annotations.read_text(encoding="utf-8")).get(doc["name"], {})
    return values, ann


def _number_list(text: str, kind: type) -> list[Any]:
    return [kind(t) for t in text.split(",") if t.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m streamcp.tune``: tune on labelled files and print the report."""
    parser = argparse.ArgumentParser(
        prog="python -m streamcp.tune",
        description=(
            "Pick confidence and history for AnomalyDetection_ChangePoint from series with "
            "known change points, by TCPDBench's F1 (margin 5) or Cover. Each FILE is a CSV "
            "(a value column and optionally a 0/1 change column) or a TCPD series .json "
            "(labels from --annotations)."
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--metric", choices=("f1", "cover"), default="f1")
    parser.add_argument("--robust", action="store_true", help="tune the robust detector (not ASA-compatible)")
    parser.add_argument("--column", help="CSV: the value column (default: the first other than the label column)")
    parser.add_argument("--label-column", help="CSV: a column that is 1 (or true) at each known change point")
    parser.add_argument("--change-points", help="known change points as 0-based positions, e.g. 120,340 (one FILE only)")
    parser.add_argument("--annotations", type=Path, help="TCPD annotations.json for .json FILEs")
    parser.add_argument("--confidences", help="comma-separated confidence grid (default: %(default)s)",
                        default=",".join(f"{c:g}" for c in DEFAULT_CONFIDENCES))
    parser.add_argument("--histories", help="comma-separated history grid (default: %(default)s)",
                        default=",".join(str(h) for h in DEFAULT_HISTORIES))
    parser.add_argument("--top", type=int, default=10, help="grid points to list (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead")
    args = parser.parse_args(argv)

    if args.change_points is not None and len(args.files) != 1:
        parser.error("--change-points needs exactly one FILE")
    all_values: list[list[float]] = []
    all_labels: list[ChangePoints] = []
    for path in args.files:
        if path.suffix == ".json":
            values, ann = _read_tcpd(path, args.annotations)
            labels: ChangePoints = ann
        else:
            values, found = _read_csv(path, args.column, args.label_column)
            labels = found
        if args.change_points is not None:
            labels = _number_list(args.change_points, int)
        if not labels and args.change_points is None and args.label_column is None:
            parser.error(f"{path}: no known change points; pass --change-points, "
                         "--label-column or --annotations")
        all_values.append(values)
        all_labels.append(labels)

    result = tune(
        all_values,
        all_labels,
        metric=args.metric,
        robust=args.robust,
        confidences=_number_list(args.confidences, float),
        histories=_number_list(args.histories, int),
    )
    if args.json:
        print(json.dumps(result.__dict__, indent=2))
    else:
        print(result.report(args.top))
    return 0


class _CallableModule(types.ModuleType):
    """Lets ``streamcp.tune(...)`` work even when ``import streamcp.tune`` has bound the
    package attribute to this module rather than to the function."""

    def __call__(self, *args: Any, **kwargs: Any) -> TuneResult:
        return tune(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    sys.exit(main())
