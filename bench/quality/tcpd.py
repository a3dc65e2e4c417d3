# SPDX-License-Identifier: MIT
"""Reading a TCPD-format directory and scoring detectors on it (TCPDBench's metrics).

A TCPD-format directory holds ``<name>.json`` series files (``n_obs``, ``series``: a list
of ``{"label", "type", "raw": [values]}``, ``null`` for a missing value) and an
``annotations.json`` mapping each name to ``{annotator id: [0-based change points]}``.
Optionally ``baselines_v3.csv`` holds published per-series scores.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from streamcp.metrics import covering, detection_delays, f_measure

#: The 25 series of TCPDBench v3's univariate comparison that TCPD redistributes: the 31
#: files minus quality_control_1..5 and uk_coal_employ, which v3 leaves out.
V3_SERIES: tuple[str, ...] = (
    "bank", "brent_spot", "businv", "centralia", "children_per_woman", "co2_canada",
    "construction", "debt_ireland", "gdp_argentina", "gdp_croatia", "gdp_iran", "gdp_japan",
    "global_co2", "homeruns", "jfk_passengers", "lga_passengers", "nile", "ozone",
    "rail_lines", "seatbelts", "shanghai_license", "unemployment_nl", "us_population",
    "usd_isk", "well_log",
)  # fmt: skip

#: Published TCPDBench v3 averages over V3_SERIES: (default F1, default Cover, oracle F1,
#: oracle Cover). Recomputed from baselines_v3.csv by :func:`baseline_averages` when present.
PUBLISHED: dict[str, tuple[float, float, float, float]] = {
    "zero": (0.647, 0.557, 0.647, 0.557),
    "binseg": (0.690, 0.655, 0.864, 0.756),
    "pelt": (0.684, 0.656, 0.855, 0.754),
    "bocpd": (0.657, 0.591, 0.876, 0.764),
}


@dataclass(frozen=True)
class Series:
    """One TCPD series: its values per dimension (NaN for missing) and its annotations."""

    name: str
    values: np.ndarray  # shape (n_obs, n_dim), float64, NaN = missing
    annotations: dict[str, list[int]]

    @property
    def n_obs(self) -> int:
        return int(self.values.shape[0])


def load_series(path: Path, annotations: Mapping[str, Mapping[str, Sequence[int]]]) -> Series:
    """Reads one ``<name>.json``; ``null`` values become NaN."""
    with path.open(encoding="utf-8") as f:
        doc = json.load(f)
    name = str(doc["name"])
    columns = [
        [math.nan if v is None else float(v) for v in s["raw"]] for s in doc["series"]
    ]
    values = np.array(columns, dtype=np.float64).T.reshape(int(doc["n_obs"]), len(columns))
    ann = {str(k): [int(c) for c in v] for k, v in annotations.get(name, {}).items()}
    return Series(name=name, values=values, annotations=ann)


def load_directory(directory: Path, names: Iterable[str] | None = None) -> list[Series]:
    """Every annotated series of a TCPD-format directory (or just ``names``), by name."""
    with (directory / "annotations.json").open(encoding="utf-8") as f:
        annotations = json.load(f)
    wanted = None if names is None else set(names)
    out = []
    for path in sorted(directory.glob("*.json")):
        if path.name == "annotations.json" or (wanted is not None and path.stem not in wanted):
            continue
        series = load_series(path, annotations)
        if series.annotations:
            out.append(series)
    return out


def load_baselines(directory: Path) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    """``baselines_v3.csv`` as {(dataset, method): (default F1, Cover, oracle F1, Cover)}.

    Missing cells (a method that failed) become NaN.
    """
    path = directory / "baselines_v3.csv"
    if not path.exists():
        return {}
    out = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            cells = [row[k] for k in ("default_f1", "default_cover", "oracle_f1", "oracle_cover")]
            out[(row["dataset"], row["method"])] = tuple(  # type: ignore[assignment]
                float(c) if c else math.nan for c in cells
            )
    return out


# --------------------------------------------------------------------------------------------
# Detectors


@dataclass
class Detection:
    """What a detector reported on one series.

    ``locations`` are where it places the changes (scored by F1 and Cover); ``alert_times``
    the events at which it raised the alerts (used for the detection delay). For the ASA
    detector both are the alerting events.
    """

    locations: list[int]
    alert_times: list[int]


#: A detector: (values of one dimension, NaN = missing; parameters) -> Detection.
Detector = Callable[[np.ndarray, Mapping[str, Any]], Detection]


def detect_series(detector: Detector, series: Series, params: Mapping[str, Any]) -> Detection:
    """Runs ``detector`` (a fresh model) on each dimension and unions the results."""
    locations: set[int] = set()
    times: set[int] = set()
    for d in range(series.values.shape[1]):
        det = detector(series.values[:, d], params)
        locations.update(det.locations)
        times.update(det.alert_times)
    return Detection(sorted(locations), sorted(times))


@dataclass
class Score:
    f1: float
    cover: float
    delays: list[int] = field(default_factory=list)
    n_true: int = 0
    n_alerts: int = 0
    params: dict[str, Any] = field(default_factory=dict)


def score(series: Series, detection: Detection, params: Mapping[str, Any] | None = None) -> Score:
    """F1 (margin 5), Cover and the detection delays of one detection."""
    delays, n_true = detection_delays(series.annotations, detection.alert_times, series.n_obs)
    return Score(
        f1=f_measure(series.annotations, detection.locations, series.n_obs),
        cover=covering(series.annotations, detection.locations, series.n_obs),
        delays=delays,
        n_true=n_true,
        n_alerts=len(detection.alert_times),
        params=dict(params or {}),
    )


def grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The Cartesian product of ``axes`` as a list of parameter dicts."""
    keys = list(axes)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(axes[k] for k in keys))]


@dataclass
class SeriesResult:
    name: str
    n_obs: int
    default: Score
    oracle_f1: Score
    oracle_cover: Score


def evaluate(
    detector: Detector,
    series_list: Sequence[Series],
    default_params: Mapping[str, Any],
    param_grid: Sequence[Mapping[str, Any]],
) -> list[SeriesResult]:
    """Default and oracle scores per series.

    The oracle, as in TCPDBench, is the best score over ``param_grid`` per series and per
    metric (the best F1 and the best Cover may come from different parameters). The default
    parameters are added to the grid, so the oracle is never below the default.
    """
    results = []
    for s in series_list:
        default = score(s, detect_series(detector, s, default_params), default_params)
        best_f1 = best_cover = default
        for params in param_grid:
            sc = score(s, detect_series(detector, s, params), params)
            if sc.f1 > best_f1.f1:
                best_f1 = sc
            if sc.cover > best_cover.cover:
                best_cover = sc
        results.append(SeriesResult(s.name, s.n_obs, default, best_f1, best_cover))
    return results


def mean(values: Iterable[float]) -> float:
    v = list(values)
    return sum(v) / len(v) if v else math.nan


def averages(results: Sequence[SeriesResult]) -> tuple[float, float, float, float]:
    """(default F1, default Cover, oracle F1, oracle Cover) averaged over ``results``."""
    return (
        mean(r.default.f1 for r in results),
        mean(r.default.cover for r in results),
        mean(r.oracle_f1.f1 for r in results),
        mean(r.oracle_cover.cover for r in results),
    )


def mean_delay(results: Sequence[SeriesResult]) -> tuple[float, int, int]:
    """Mean detection delay of the default run over all series, detected and true counts."""
    delays = [d for r in results for d in r.default.delays]
    return mean(delays), len(delays), sum(r.default.n_true for r in results)


def baseline_averages(
    baselines: Mapping[tuple[str, str], tuple[float, float, float, float]],
    names: Sequence[str],
    method: str,
) -> tuple[float, float, float, float] | None:
    """A published method's averages over ``names`` (None unless all are present)."""
    rows = [baselines.get((n, method)) for n in names]
    if any(r is None for r in rows):
        return None
    return tuple(mean(r[i] for r in rows) for i in range(4))  # type: ignore[index,return-value]
