# SPDX-License-Identifier: MIT
"""Single-series detectors: ML.NET's IidChangePointDetector and IidSpikeDetector."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

import numpy as np

from . import _core
from ._convert import (
    SPIKE_MODES,
    check_choice,
    check_confidence,
    check_flag,
    check_history,
    check_kernel,
    to_value,
    to_values,
)
from ._bound import SelfDescribingSnapshots, core_property
from ._frames import require_pandas, to_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DETECTOR_DTYPE",
    "ChangePointDetector",
    "ChangePointResult",
    "SpikeAndDipDetector",
    "SpikeAndDipResult",
]

#: The dtype of ``update_many``'s result (fields ``score``, ``p_value``, ``is_anomaly``).
DETECTOR_DTYPE: np.dtype = _core.model.DETECTOR_DTYPE


class ChangePointResult(NamedTuple):
    """One event's output of :class:`ChangePointDetector`."""

    #: The windowed martingale M: ASA's ``Score``. NaN for a NULL input; may be +inf.
    score: float
    #: The two-sided KDE p-value, clamped to [1e-8, 1 - 1e-8]. NaN for a NULL input.
    p_value: float
    #: Whether the event alerts (M reached the threshold, the history is full, no cooldown).
    is_anomaly: bool


class SpikeAndDipResult(NamedTuple):
    """One event's output of :class:`SpikeAndDipDetector` (``score`` is the p-value)."""

    #: ASA's ``Score``: the (one- or two-sided) p-value. NaN for a NULL input.
    score: float
    #: The same p-value (kept so that both detectors' results have the same fields).
    p_value: float
    is_anomaly: bool


def _as_value(x: object) -> float:
    v = to_value(x, "x")
    return math.nan if v is None else v


class _Detector(SelfDescribingSnapshots):
    __slots__ = ("_core",)

    @overload
    def update_many(self, values: Any, *, as_frame: Literal[False] = False) -> np.ndarray: ...
    @overload
    def update_many(self, values: Any, *, as_frame: Literal[True]) -> pd.DataFrame: ...
    @overload
    def update_many(self, values: Any, *, as_frame: bool) -> np.ndarray | pd.DataFrame: ...
    def update_many(self, values: Any, *, as_frame: bool = False) -> np.ndarray | pd.DataFrame:
        """Scores ``values`` in order; equals repeated :meth:`update` calls.

        ``values`` is an array or sequence of numbers; NaN, None and pandas' NA mean NULL
        (the event changes nothing and its row is ``(nan, nan, False)``). Returns a numpy
        structured array with fields ``score`` (f8), ``p_value`` (f8), ``is_anomaly`` (bool);
        with ``as_frame=True`` a pandas DataFrame with columns ``Score``, ``IsAnomaly`` and
        ``PValue``, indexed like ``values`` when it is a Series (needs pandas; without it
        ``ImportError``, before anything is scored). The whole batch is validated first: a
        value that cannot be scored (±inf, beyond float32's range) raises ``ValueError`` and
        changes nothing. The GIL is released while scoring.
        """
        pd = require_pandas() if check_flag(as_frame, "as_frame") else None
        rows = self._core.update_many(to_values(values))
        return rows if pd is None else to_frame(pd, rows, values)

    confidence = core_property("confidence", float)
    history = core_property("history", int)
    threshold = core_property("threshold", float, "The alert threshold the confidence maps to.")
    fill = core_property(
        "fill", int, "Values held so far (at most ``history``); alerts start once this equals history."
    )
    kernel = core_property(
        "kernel", str, '``"exact"`` (ML.NET\'s numbers bit for bit) or ``"fast"`` (docs/semantics.md#fast-kernel).'
    )

    @classmethod
    def from_snapshot(cls, data: bytes, *, kernel: str = "exact") -> Any:
        """A detector rebuilt from a snapshot, with the options it records and ``kernel``
        (the kernel is a setting, not state: snapshots do not record it)."""
        self = cls.__new__(cls)
        self._core = cls._core_type.from_snapshot(bytes(data), check_kernel(kernel))
        return self

    def _pickle_extras(self) -> dict[str, Any]:
        return {"kernel": self.kernel}

    def _load_state(self, state: dict[str, Any]) -> None:
        self._core = self._core_type.from_snapshot(state["snapshot"], check_kernel(state.get("kernel", "exact")))


class ChangePointDetector(_Detector):
    """ML.NET's ``IidChangePointDetector`` on one series (semantics.md#per-event).

    A two-sided adaptive-KDE p-value per event, a windowed exchangeability martingale over
    the last ``history`` bets, an alert when the martingale reaches the threshold once
    ``history`` values have been seen, then a cooldown of ``history`` events.

    Args:
        confidence: percent in [0, 100], used as given (ML.NET's ``double`` overload).
        history: the KDE sample size, martingale window and warm-up, in events (>= 1).
        martingale: ``"power"`` (ASA's) or ``"mixture"``.
        epsilon: the power martingale's epsilon, in (0, 1).
        kernel: ``"exact"`` (ML.NET's numbers bit for bit) or ``"fast"`` (AVX2 erf and exp:
            p-values within 1e-14, scores within 1e-6 relative, the same alerts in every
            measurement; docs/semantics.md#fast-kernel). A setting, not state: a pickle or
            restore keeps the kernel the object was built with.

    Values are rounded to float32 as in ML.NET. Picklable and deep-copyable (through the
    C++ snapshot format); a copy continues exactly where the original would have.

    >>> det = ChangePointDetector(95, 4)
    >>> [det.update(v).is_anomaly for v in [5, 5, 5, 5, 5, 5, 5, 5, 7]][-1]
    True
    """

    __slots__ = ()
    _core_type = _core.model.ChangePointDetector

    def __init__(
        self,
        confidence: float,
        history: int,
        martingale: str = "power",
        epsilon: float = 0.1,
        *,
        kernel: str = "exact",
    ) -> None:
        self._core = self._core_type(
            check_confidence(confidence),
            check_history(history),
            check_choice(martingale, "martingale", ("power", "mixture")),
            check_confidence(epsilon, "epsilon"),
            check_kernel(kernel),
        )

    def update(self, x: float | None) -> ChangePointResult:
        """Scores one value. None or NaN is NULL: ``(nan, nan, False)``, nothing changes.

        Raises ``ValueError`` (nothing changes) for ±inf or a value beyond float32's range.
        """
        return ChangePointResult(*self._core.update(_as_value(x)))

    martingale = core_property("martingale", str)
    epsilon = core_property("epsilon", float)

    def __repr__(self) -> str:
        return (
            f"ChangePointDetector(confidence={self.confidence!r}, history={self.history!r}, "
            f"martingale={self.martingale!r}, epsilon={self.epsilon!r}, kernel={self.kernel!r})"
        )


class SpikeAndDipDetector(_Detector):
    """ML.NET's ``IidSpikeDetector`` on one series (semantics.md#kde-p-value, #spike-and-dip).

    The same KDE p-value as :class:`ChangePointDetector`, no martingale and no cooldown: an
    event alerts when the history is full and its p-value is at most 1 - confidence/100.

    Args:
        confidence: percent in [0, 100], used as given.
        history: the KDE sample size and warm-up, in events (>= 1).
        mode: ``"spikes"`` (high values), ``"dips"`` (low values) or ``"spikesanddips"``.
        kernel: ``"exact"`` or ``"fast"``, as :class:`ChangePointDetector`'s.
    """

    __slots__ = ()
    _core_type = _core.model.SpikeAndDipDetector

    def __init__(
        self, confidence: float, history: int, mode: str = "spikesanddips", *, kernel: str = "exact"
    ) -> None:
        self._core = self._core_type(
            check_confidence(confidence),
            check_history(history),
            check_choice(mode, "mode", SPIKE_MODES),
            check_kernel(kernel),
        )

    def update(self, x: float | None) -> SpikeAndDipResult:
        """Scores one value. None or NaN is NULL: ``(nan, nan, False)``, nothing changes."""
        return SpikeAndDipResult(*self._core.update(_as_value(x)))

    mode = core_property("mode", str)

    def __repr__(self) -> str:
        return (
            f"SpikeAndDipDetector(confidence={self.confidence!r}, history={self.history!r}, "
            f"mode={self.mode!r}, kernel={self.kernel!r})"
        )
