# SPDX-License-Identifier: MIT
"""Pick ``confidence`` and ``history`` for labelled data.

:func:`tune` in Python, ``python -m streamcp.tune`` on the command line.

Give it one or more series whose change points you know (from an incident log, say), and
it scores every (confidence, history) pair of a grid with TCPDBench's F1 (margin 5) or Cover
(:mod:`streamcp.metrics`), fresh detector per series, and reports the best pair, the score
of the ASA defaults for comparison, and the whole grid, so the choice can be checked.

Change points found by the ASA detector are the alerting events; by the robust detector
(``robust=True``), the onsets it reports. A DataFrame (``value=``, ``timestamp=``,
``duration=``, optionally ``partition_by=``) is tuned as ASA's
``AnomalyDetection_ChangePoint ... OVER (PARTITION BY ... LIMIT DURATION(...))`` runs it, with
known change points per key.
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

#: The confidence grid (percent). Integers: ASA truncates the confidence to one, so a
#: fractional grid point would be tuned on a setting the cloud never runs.
DEFAULT_CONFIDENCES: tuple[float, ...] = (50, 60, 70, 80, 90, 95, 96, 97, 98, 99)
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


#: The defaults each mode's detector is compared at: ASA's / ML.NET's, and the robust detector's.
ASA_DEFAULTS = (95.0, 20)
ROBUST_DEFAULTS = (90.0, 450)


def _positions(cps: Any, length: int, where: str, indicator: bool) -> list[int]:
    """Known change points as sorted 0-based positions, validated against the series length."""
    array = np.asarray(cps)
    if indicator:
        if array.ndim != 1 or len(array) != length:
            msg = f"{where}: an indicator must have one 0/1 entry per value ({length}); got shape {array.shape}"
            raise ValueError(msg)
        if not np.isin(array, (0, 1)).all():
            msg = f"{where}: an indicator holds only 0 and 1 (or False and True)"
            raise ValueError(msg)
        return [int(i) for i in np.flatnonzero(array)]
    if array.dtype == bool:
        msg = f"{where}: booleans are not positions; pass indicator=True for a 0/1 column"
        raise ValueError(msg)
    if array.ndim != 1:
        msg = f"{where}: change points must be a flat list of 0-based positions; got shape {array.shape}"
        raise ValueError(msg)
    out: list[int] = []
    for c in array.tolist():
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c != int(c):
            msg = f"{where}: change point {c!r} is not an integer position"
            raise ValueError(msg)
        if not 0 <= c < length:
            msg = f"{where}: change point {int(c)} is out of range: allowed 0 to {length - 1} (the series has {length} values)"
            raise ValueError(msg)
        out.append(int(c))
    if len(set(out)) != len(out):
        msg = (f"{where}: change points repeat ({len(out)} given, {len(set(out))} distinct); "
               "for a 0/1 column pass indicator=True")
        raise ValueError(msg)
    return sorted(out)


def _annotations(cps: ChangePoints, length: int, where: str, indicator: bool) -> dict[str, list[int]]:
    if isinstance(cps, Mapping):
        return {str(k): _positions(v, length, f"{where}[{k!r}]", indicator) for k, v in cps.items()}
    return {"labels": _positions(cps, length, where, indicator)}


@dataclass
class TuneResult:
    """What :func:`tune` chose and the evidence for it."""

    confidence: float
    history: int
    metric: str
    #: The chosen pair's score (mean over the series).
    score: float
    #: The score of the tuned detector at its own defaults: ASA's (95, 20), or in robust
    #: mode the robust detector's (90, 450).
    default_score: float
    #: The score of predicting no change at all: the floor any useful setting must beat.
    no_change_score: float
    robust: bool
    #: Every grid point: (confidence, history, score), in grid order.
    scores: list[tuple[float, int, float]] = field(default_factory=list)
    #: The score of ASA's detector at its defaults (95, 20), in either mode.
    asa_default_score: float = math.nan
    #: Whether a fractional confidence was tuned as such (ASA truncates it unless asked not to).
    fractional_confidence: bool = False

    def report(self, top: int = 10) -> str:
        """A plain-text explanation: the choice, the comparisons, the best grid points."""
        mode = "robust mode (not ASA-compatible)" if self.robust else "ASA semantics"
        if self.fractional_confidence and not self.robust:
            mode = "ASA semantics with fractional_confidence=True"
        baselines = [("ASA defaults (95, 20)", self.asa_default_score)]
        if self.robust:
            c, h = ROBUST_DEFAULTS
            baselines.insert(0, (f"robust defaults ({c:g}, {h})", self.default_score))
        lines = [
            f"chose confidence={self.confidence:g}, history={self.history} ({mode})",
            f"because it has the highest mean {self.metric} over the labelled series: "
            f"{self.score:.4f}",
            *(f"  {name + ':':<28}{value:.4f}" for name, value in baselines),
            f"  {'predicting no change:':<28}{self.no_change_score:.4f}",
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


def _check_grid(confidences: Sequence[float], histories: Sequence[int], robust: bool, fractional_confidence: bool) -> tuple[list[float], list[int]]:
    conf = [float(c) for c in confidences]
    hist = [int(h) for h in histories]
    if not conf or not hist:
        msg = "confidences and histories must each hold at least one value"
        raise ValueError(msg)
    bad = [c for c in conf if not 1 <= c <= 100 or (c != int(c) and not robust and not fractional_confidence)]
    if bad:
        msg = (f"confidences {bad!r} are out of range: allowed integers in [1, 100] (ASA truncates a "
               "fractional confidence, so the cloud would run another setting); pass "
               "fractional_confidence=True to tune fractional ones")
        raise ValueError(msg)
    if any(h < 1 or h != float(hh) for h, hh in zip(hist, histories)):
        msg = f"histories = {list(histories)!r} are out of range: allowed integers >= 1"
        raise ValueError(msg)
    return conf, hist


def _frame_problem(
    df: Any, change_points: Any, *, value: Any, timestamp: Any, partition_by: Any, duration: Any,
    label_column: Any, indicator: bool, fractional_confidence: bool,
) -> tuple[list[int], list[dict[str, list[int]]], Any]:
    """A DataFrame as one series per key (its rows in timestamp order) and the grid's predictor."""
    import pandas as pd  # noqa: PLC0415 (optional dependency, needed only for frames)

    from . import pandas as streamcp_pandas  # noqa: PLC0415

    for what, name in (("value", value), ("timestamp", timestamp), ("partition_by", partition_by), ("label_column", label_column)):
        if name is not None and name not in df.columns:
            msg = f"{what} = {name!r} is not a column of the frame (columns: {list(df.columns)!r})"
            raise ValueError(msg)
    if duration is None:
        msg = "duration is required with a DataFrame (the LIMIT DURATION of the query)"
        raise ValueError(msg)
    try:
        times = pd.to_datetime(df[timestamp], utc=True)
    except (ValueError, TypeError) as e:
        msg = f"timestamp = {timestamp!r}: the column does not hold timestamps ({e})"
        raise ValueError(msg) from None
    order = np.argsort(times.to_numpy(), kind="stable")
    if partition_by is None:
        key_of = [None] * len(df)
    else:
        column = df[partition_by].to_numpy(dtype=object)
        key_of = [None if (isinstance(k, float) and math.isnan(k)) else k for k in column.tolist()]
    rows_of: dict[Any, list[int]] = {}
    for i in order.tolist():
        rows_of.setdefault(key_of[i], []).append(i)
    keys = list(rows_of)

    if label_column is not None:
        if change_points is not None:
            msg = "give change_points or label_column, not both"
            raise ValueError(msg)
        flags = df[label_column].to_numpy()
        annotations = [_annotations(flags[rows_of[k]], len(rows_of[k]), f"df[{label_column!r}] (key {k!r})", True) for k in keys]
    else:
        if partition_by is None and change_points is not None and not isinstance(change_points, Mapping):
            change_points = {None: change_points}  # one partition: its positions as a plain list
        if not isinstance(change_points, Mapping):
            msg = ("with a DataFrame, change_points must be {key: positions} (0-based positions in "
                   "each key's rows in timestamp order; a list without partition_by), "
                   "or pass label_column")
            raise TypeError(msg)
        unknown = [k for k in change_points if k not in rows_of]
        if unknown:
            msg = f"change_points has keys {unknown!r} that are not in the frame's {partition_by!r} column"
            raise ValueError(msg)
        # A key without labels had no known change: alerts on it are false alarms.
        annotations = [
            _annotations(change_points.get(k, []), len(rows_of[k]), f"change_points[{k!r}]", indicator)
            for k in keys
        ]

    def predict(confidence: float, history: int, robust: bool) -> list[list[int]]:
        model: dict[str, Any] = {"detector": "robust"} if robust else {"fractional_confidence": fractional_confidence}
        scored = streamcp_pandas.detect(
            df, value=value, timestamp=timestamp, partition_by=partition_by, duration=duration,
            confidence=confidence, history=history, **model,
        )
        alerts = scored["IsAnomaly"].fillna(0).to_numpy(dtype=np.int8) == 1
        return [[int(p) for p in np.flatnonzero(alerts[rows_of[k]])] for k in keys]

    return [len(rows_of[k]) for k in keys], annotations, predict


def tune(
    values: Any,
    change_points: ChangePoints | Sequence[ChangePoints] | None = None,
    *,
    metric: str = "f1",
    robust: bool = False,
    confidences: Sequence[float] = DEFAULT_CONFIDENCES,
    histories: Sequence[int] = DEFAULT_HISTORIES,
    margin: int = MARGIN,
    fractional_confidence: bool = False,
    indicator: bool = False,
    value: Any = None,
    timestamp: Any = None,
    partition_by: Any = None,
    duration: Any = None,
    label_column: Any = None,
) -> TuneResult:
    """Picks confidence and history that best recover known change points.

    Args:
        values: one series (a 1-D sequence or array; NaN/None = missing), a list of them, or
            a pandas DataFrame (then ``value``, ``timestamp`` and ``duration`` are required).
        change_points: the known change points (0-based positions) of each series: a list,
            or {labeller: list} when several people labelled it (TCPD's format). For a
            list of series, a list of those. For a DataFrame, {key: list} with positions in
            that key's rows in timestamp order (keys left out had no change). Positions
            must lie in the series; a repeated position is refused.
        metric: ``"f1"`` (TCPDBench's F1 with ``margin``) or ``"cover"`` (segmentation
            covering).
        robust: tune :class:`RobustChangePointDetector` instead of the ASA detector.
        confidences, histories: the grid. In ASA mode confidences must be integers, the
            only ones ASA runs, unless ``fractional_confidence`` is true.
        fractional_confidence: tune fractional confidences as
            ``AnomalyDetectionChangePoint(..., fractional_confidence=True)`` runs them.
        indicator: each ``change_points`` entry is a 0/1 column, one entry per value,
            rather than positions.
        value, timestamp, partition_by, duration: with a DataFrame, the columns and LIMIT
            DURATION of the query, scored by :func:`streamcp.pandas.detect`.
        label_column: with a DataFrame, a 0/1 column marking the known change points
            (instead of ``change_points``).

    Returns:
        A :class:`TuneResult`; ``print(result.report())`` explains the choice.

    >>> r = tune([0.0, 1.0] * 30 + [10.0, 11.0] * 30, [60], histories=(10, 20))
    >>> (r.confidence, r.history, round(r.score, 3))
    (96.0, 10, 1.0)
    """
    if metric not in ("f1", "cover"):
        msg = f"metric must be 'f1' or 'cover'; got {metric!r}"
        raise ValueError(msg)
    if robust and fractional_confidence:
        msg = "fractional_confidence applies to ASA mode only (the robust detector takes any confidence)"
        raise ValueError(msg)
    grid_c, grid_h = _check_grid(confidences, histories, robust, fractional_confidence)
    is_frame = type(values).__name__ == "DataFrame" and hasattr(values, "columns")
    frame_args = {"value": value, "timestamp": timestamp, "partition_by": partition_by, "duration": duration, "label_column": label_column}
    if is_frame:
        if value is None or timestamp is None:
            msg = "with a DataFrame, value= and timestamp= name its columns (and duration= is required)"
            raise ValueError(msg)
        lengths, annotations, predict_all = _frame_problem(
            values, change_points, indicator=indicator,
            fractional_confidence=fractional_confidence, **frame_args,
        )
    else:
        given = [k for k, v in frame_args.items() if v is not None]
        if given:
            msg = f"{', '.join(given)} apply to a pandas DataFrame only; got {type(values).__name__}"
            raise ValueError(msg)
        if change_points is None:
            msg = "change_points is required (the known change points of each series)"
            raise ValueError(msg)
        many = not (isinstance(values, np.ndarray) and values.ndim == 1) and (
            len(values) > 0 and not np.isscalar(values[0]) and values[0] is not None
        )
        series = [to_values(v) for v in values] if many else [to_values(values)]
        labels = list(change_points) if many else [change_points]  # type: ignore[arg-type]
        if len(labels) != len(series):
            msg = f"{len(series)} series but {len(labels)} sets of change points"
            raise ValueError(msg)
        lengths = [len(v) for v in series]
        annotations = [
            _annotations(cp, len(v), f"change_points[{i}]" if many else "change_points", indicator)  # type: ignore[arg-type]
            for i, (v, cp) in enumerate(zip(series, labels))
        ]

        def predict_all(confidence: float, history: int, robust: bool) -> list[list[int]]:
            return [detect(v, confidence, history, robust=robust) for v in series]

    def evaluate(found: list[list[int]]) -> float:
        total = 0.0
        for length, ann, cps in zip(lengths, annotations, found):
            total += f_measure(ann, cps, length, margin) if metric == "f1" else covering(ann, cps, length)
        return total / len(lengths)

    scores = [(c, h, evaluate(predict_all(c, h, robust))) for c in grid_c for h in grid_h]
    best = min(scores, key=lambda s: (-s[2], -s[0], s[1]))
    return TuneResult(
        confidence=best[0],
        history=best[1],
        metric=metric,
        score=best[2],
        default_score=evaluate(predict_all(*(ROBUST_DEFAULTS if robust else ASA_DEFAULTS), robust)),
        no_change_score=evaluate([[] for _ in lengths]),
        robust=robust,
        scores=scores,
        asa_default_score=evaluate(predict_all(*ASA_DEFAULTS, False)),
        fractional_confidence=fractional_confidence,
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
    for name, flag in ((column, "--column"), (label_column, "--label-column")):
        if name is not None and name not in names:
            msg = f"{path}: {flag} {name!r} is not a column (columns: {', '.join(names)})"
            raise ValueError(msg)
    column = column or next((n for n in names if n != label_column and _numeric(rows[0][n])), names[0])
    values = []
    for i, r in enumerate(rows):
        text = (r[column] or "").strip()
        try:
            values.append(math.nan if text in ("", "null", "NULL") else float(text))
        except ValueError:
            msg = (f"{path}: column {column!r}, row {i + 1}: {text!r} is not a number; choose the "
                   "value column with --column (and --partition-by/--timestamp for keyed data)")
            raise ValueError(msg) from None
    labels = []
    if label_column:
        labels = [i for i, r in enumerate(rows) if (r[label_column] or "").strip() not in ("", "0", "false", "False")]
    return values, labels


def _numeric(text: str | None) -> bool:
    try:
        float(text or "nan")
    except ValueError:
        return False
    return True


def _read_frame(path: Path, args: argparse.Namespace) -> Any:
    try:
        import pandas as pd  # noqa: PLC0415 (optional dependency)
    except ImportError:
        msg = "--timestamp needs pandas: pip install 'streamcp[pandas]'"
        raise ValueError(msg) from None
    df = pd.read_csv(path)
    if args.column is None:
        taken = {args.timestamp, args.partition_by, args.label_column}
        numeric = [c for c in df.columns if c not in taken and pd.api.types.is_numeric_dtype(df[c])]
        if not numeric:
            msg = f"{path}: no numeric value column besides {sorted(t for t in taken if t)}; name one with --column"
            raise ValueError(msg)
        args.column = numeric[0]
    elif args.column in df.columns and not pd.api.types.is_numeric_dtype(df[args.column]):
        msg = f"{path}: --column {args.column!r} is not numeric (dtype {df[args.column].dtype})"
        raise ValueError(msg)
    return df


def _read_tcpd(path: Path, annotations: Path | None) -> tuple[list[float], dict[str, list[int]]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    raw = doc["series"][0]["raw"]
    values = [math.nan if v is None else float(v) for v in raw]
    ann: dict[str, list[int]] = {}
    if annotations is not None:
        ann = json.loads(annotations.read_text(encoding="utf-8")).get(doc["name"], {})
    return values, ann


def _number_list(text: str, kind: type, flag: str) -> list[Any]:
    try:
        return [kind(t) for t in text.split(",") if t.strip()]
    except ValueError:
        msg = f"{flag} {text!r}: expected comma-separated {'integers' if kind is int else 'numbers'}"
        raise ValueError(msg) from None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m streamcp.tune``: tune on labelled files and print the report."""
    parser = argparse.ArgumentParser(
        prog="python -m streamcp.tune",
        description=(
            "Pick confidence and history for AnomalyDetection_ChangePoint from series with "
            "known change points, by TCPDBench's F1 (margin 5) or Cover. Each FILE is a CSV "
            "(a value column and optionally a 0/1 change column) or a TCPD series .json "
            "(labels from --annotations). With --timestamp and --duration a CSV is scored as "
            "the partitioned function (PARTITION BY --partition-by, LIMIT DURATION), with "
            "--label-column marking each key's change points."
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--metric", choices=("f1", "cover"), default="f1")
    parser.add_argument("--robust", action="store_true", help="tune the robust detector (not ASA-compatible)")
    parser.add_argument("--fractional-confidence", action="store_true",
                        help="tune fractional confidences as fractional_confidence=True runs them (ASA truncates them)")
    parser.add_argument("--column", help="CSV: the value column (default: the first numeric one other than the label column)")
    parser.add_argument("--label-column", help="CSV: a column that is 1 (or true) at each known change point")
    parser.add_argument("--timestamp", help="CSV: the event-time column; tunes the partitioned function (needs --duration)")
    parser.add_argument("--partition-by", help="CSV with --timestamp: the key column")
    parser.add_argument("--duration", help="CSV with --timestamp: the LIMIT DURATION, e.g. 30m")
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
    if (args.timestamp is None) != (args.duration is None):
        parser.error("--timestamp and --duration go together (the partitioned function needs both)")
    if args.partition_by is not None and args.timestamp is None:
        parser.error("--partition-by needs --timestamp and --duration")
    try:
        grid = {"confidences": _number_list(args.confidences, float, "--confidences"),
                "histories": _number_list(args.histories, int, "--histories")}
        if args.timestamp is not None:
            if len(args.files) != 1 or args.label_column is None:
                parser.error("--timestamp tunes one CSV FILE with --label-column")
            result = tune(_read_frame(args.files[0], args), value=args.column, timestamp=args.timestamp,
                          partition_by=args.partition_by, duration=args.duration, label_column=args.label_column,
                          metric=args.metric, robust=args.robust, fractional_confidence=args.fractional_confidence, **grid)
        else:
            result = tune(*_read_files(parser, args), metric=args.metric, robust=args.robust,
                          fractional_confidence=args.fractional_confidence, **grid)
    except (ValueError, TypeError, OSError) as e:
        parser.exit(2, f"{parser.prog}: error: {e}\n")
    if args.json:
        print(json.dumps(result.__dict__, indent=2))
    else:
        print(result.report(args.top))
    return 0


def _read_files(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[list[list[float]], list[ChangePoints]]:
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
            labels = _number_list(args.change_points, int, "--change-points")
        if not labels and args.change_points is None and args.label_column is None:
            parser.error(f"{path}: no known change points; pass --change-points, "
                         "--label-column or --annotations")
        all_values.append(values)
        all_labels.append(labels)
    return all_values, all_labels


class _CallableModule(types.ModuleType):
    """Lets ``streamcp.tune(...)`` work even when ``import streamcp.tune`` has bound the
    package attribute to this module rather than to the function."""

    def __call__(self, *args: Any, **kwargs: Any) -> TuneResult:
        return tune(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    sys.exit(main())
