# SPDX-License-Identifier: MIT
"""The opt-in robust change-point detector (NOT ASA- or ML.NET-compatible)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

import numpy as np

from . import _core
from ._convert import (
    check_choice,
    check_confidence,
    check_count,
    check_flag,
    check_history,
    to_value,
    to_values,
)
from ._bound import SelfDescribingSnapshots, core_property
from ._frames import require_pandas, to_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ROBUST_DTYPE", "RobustChangePointDetector", "RobustChangePointResult"]

#: The dtype of ``update_many``'s result: ``score`` (f8), ``p_value`` (f8), ``is_change``
#: (bool), ``onset_lag`` (i8).
ROBUST_DTYPE: np.dtype = _core.model.ROBUST_DTYPE


class RobustChangePointResult(NamedTuple):
    """One event's output of :class:`RobustChangePointDetector`."""

    #: exp(C), the CUSUM martingale (>= 1). NaN for a NULL input.
    score: float
    #: The two-sided p-value 2·min(p, 1 − p); NaN during warm-up and for a NULL input.
    p_value: float
    #: Whether a change was detected at this event.
    is_change: bool
    #: On a change, how many scored (non-NULL) events ago it began; -1 otherwise.
    onset_lag: int


class RobustChangePointDetector(SelfDescribingSnapshots):
    """An opt-in change-point detector with the flaws of ML.NET's design fixed.

    **Not ASA-compatible**: its results differ from Azure Stream Analytics'
    ``AnomalyDetection_ChangePoint`` and from :class:`ChangePointDetector` by design. Use it
    when you want good change points rather than ASA's exact output. What it changes, and
    why (docs/quality.md):

    1. no bets until ``min_history`` values are held, so the KDE bandwidth reflects the
       data's scale;
    2. a uniform two-sided p-value, ``2·min(p, 1 − p)``;
    3. a CUSUM of log bets with threshold ``1 / (1 − confidence/100)`` instead of the
       product of the last ``history`` bets;
    4. each detection reports the change's onset and restarts the detector there;
    5. a cooldown after each detection, and a restart that keeps the old values unless the
       new regime leaves their range, so that seasonal data (a long ``history`` holding a
       whole cycle) does not alert at every half-cycle;
    6. a period found by autocorrelation (``period_search``), and each value also compared
       with the same phase of the previous period.

    Optional transforms for trending series: ``difference`` scores first differences,
    ``detrend`` the residual from a least-squares line through the recent values.

    Args:
        confidence: percent in (0, 100). Higher means fewer, surer detections.
        history: how many recent values the KDE compares a new one with (>= 2).
        min_history: values needed before the first bet and after each change, in
            [2, history].
        epsilon: the power betting function's epsilon, in (0, 1).
        difference: score first differences (slope changes of trending data).
        detrend: score each value's deviation from the line fitted through the KDE sample
            (level breaks of trending data); needs ``min_history`` >= 3.
        min_run: fewest events a detection takes, in [1, history]: one event's log bet is
            capped at log(threshold) / min_run, so an isolated outlier is not a change.
        calibration: rank each KDE p-value among the last ``calibration`` ones and bet on
            the rank (an anomaly-likelihood layer; 0 = off).
        cooldown: events after a detection during which the detector learns but does not
            bet, so one change is reported once.
        forget: what a detection does with the values before the change's onset:
            ``"always"`` drops them, ``"never"`` keeps them, ``"outside_range"`` drops them
            only when most values since the onset lie outside their range (a level shift,
            not a seasonal swing or a lone outlier).
        short_history: two-window comparison (0 = off): the p-value is the larger of those
            against the whole sample and against its last ``short_history`` values.
        period_search: seasonality (0 = off, else in [10, 1000000]): after this many values,
            and again after 2, 4 and 8 times as many until one is found, look for a period P
            (the lag in [5, n/2) with the highest autocorrelation peak above 0.5); then the
            p-value is ``min(1, 2·min(p, p_P))``, ``p_P`` that of ``x − x[t−P]`` against the
            recent such differences, so a day unlike the previous one stands out.

    Picklable and deep-copyable through the C++ snapshot format (:meth:`snapshot`); a copy
    continues exactly where the original would have.

    >>> det = RobustChangePointDetector()
    >>> [i for i, r in enumerate(map(det.update, [0.0, 1.0] * 20 + [9.0, 10.0] * 5)) if r.is_change]
    [40]
    """

    __slots__ = ("_core",)
    _core_type = _core.model.RobustChangePointDetector

    def __init__(
        self,
        confidence: float = 90.0,
        history: int = 450,
        *,
        min_history: int = 10,
        epsilon: float = 0.1,
        difference: bool = False,
        detrend: bool = False,
        min_run: int = 1,
        calibration: int = 0,
        cooldown: int = 30,
        forget: str = "outside_range",
        short_history: int = 0,
        period_search: int = 100,
    ) -> None:
        self._core = _core.model.RobustChangePointDetector(
            check_confidence(confidence),
            check_history(history),
            check_count(min_history, "min_history"),
            check_confidence(epsilon, "epsilon"),
            check_flag(difference, "difference"),
            check_flag(detrend, "detrend"),
            check_count(min_run, "min_run"),
            check_count(calibration, "calibration"),
            check_count(cooldown, "cooldown"),
            check_choice(forget, "forget", ("always", "never", "outside_range")),
            check_count(short_history, "short_history"),
            check_count(period_search, "period_search"),
        )

    def update(self, x: float | None) -> RobustChangePointResult:
        """Scores one value. None or NaN is NULL: nothing changes, ``(nan, nan, False, -1)``."""
        v = to_value(x, "x")
        return RobustChangePointResult(*self._core.update(math.nan if v is None else v))

    @overload
    def update_many(self, values: Any, *, as_frame: Literal[False] = False) -> np.ndarray: ...
    @overload
    def update_many(self, values: Any, *, as_frame: Literal[True]) -> pd.DataFrame: ...
    @overload
    def update_many(self, values: Any, *, as_frame: bool) -> np.ndarray | pd.DataFrame: ...
    def update_many(self, values: Any, *, as_frame: bool = False) -> np.ndarray | pd.DataFrame:
        """Scores ``values`` in order; a structured array of :data:`ROBUST_DTYPE`.

        NaN, None and pandas' NA are NULL. ±inf raises ``ValueError`` and changes nothing.
        With ``as_frame=True``, a pandas DataFrame with columns ``Score``, ``IsAnomaly``
        (``is_change``), ``PValue`` and ``OnsetLag``, indexed like ``values`` when it is a
        Series (needs pandas; without it ``ImportError``, before anything is scored).
        """
        pd = require_pandas() if check_flag(as_frame, "as_frame") else None
        rows = self._core.update_many(to_values(values))
        return rows if pd is None else to_frame(pd, rows, values)

    def change_points(self, values: Any) -> tuple[list[int], list[int]]:
        """Scores ``values`` and returns (onsets, alert positions), as positions in ``values``.

        The onset of a change is where it began; the alert position is the event at which
        it was detected (>= its onset). NULL values count as positions but are never scored.
        """
        arr = np.asarray(to_values(values), dtype=np.float64)
        rows = self.update_many(arr)
        scored = np.flatnonzero(~np.isnan(arr))  # positions of the non-NULL values
        rank = np.cumsum(~np.isnan(arr)) - 1  # each position's rank among the scored ones
        alerts = [int(i) for i in np.flatnonzero(rows["is_change"])]
        onsets = [int(scored[rank[i] - int(rows["onset_lag"][i])]) for i in alerts]
        return onsets, alerts

    confidence = core_property("confidence", float)
    history = core_property("history", int)
    min_history = core_property("min_history", int)
    epsilon = core_property("epsilon", float)
    difference = core_property("difference", bool)
    detrend = core_property("detrend", bool)
    min_run = core_property("min_run", int)
    calibration = core_property("calibration", int)
    cooldown = core_property("cooldown", int)
    forget = core_property("forget", str)
    short_history = core_property("short_history", int)
    period_search = core_property("period_search", int)
    threshold = core_property(
        "threshold", float, "The CUSUM martingale's alert threshold, 1 / (1 − confidence/100)."
    )
    fill = core_property("fill", int, "Values in the KDE sample (at most ``history``).")

    def __repr__(self) -> str:
        return (
            f"RobustChangePointDetector(confidence={self.confidence!r}, history={self.history!r}, "
            f"min_history={self.min_history!r}, epsilon={self.epsilon!r}, "
            f"difference={self.difference!r}, detrend={self.detrend!r}, "
            f"min_run={self.min_run!r}, calibration={self.calibration!r}, "
            f"cooldown={self.cooldown!r}, forget={self.forget!r}, "
            f"short_history={self.short_history!r}, period_search={self.period_search!r})"
        )
