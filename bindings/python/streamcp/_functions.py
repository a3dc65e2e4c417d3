# SPDX-License-Identifier: MIT
"""The ASA functions: one model per partition key, LIMIT DURATION imputation, WHEN, NULL."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._convert import (
    SPIKE_MODES,
    check_choice,
    check_confidence,
    check_flag,
    check_history,
    check_kernel,
    to_duration_ns,
    to_keys,
    to_time_ticks,
    to_times_ticks,
    to_value,
    to_values,
    to_when,
)
from ._bound import Snapshots, core_property

__all__ = [
    "FUNCTION_DTYPE",
    "AnomalyDetectionChangePoint",
    "AnomalyDetectionSpikeAndDip",
    "BatchError",
    "Record",
]

#: A batch call's refusal of one event (a ``ValueError``): ``index``, ``field``
#: (``"timestamps"`` or ``"values"``), ``key`` and ``reason``.
BatchError = _core.BatchError


class Record(NamedTuple):
    """One event's output of an ASA function (a row of ``evaluate_many``).

    When the event is excluded (``when`` false, or a NULL value: ASA outputs NULL) the
    record is ``(nan, False, False)``.
    """

    #: ASA's ``Score`` (the martingale for ChangePoint, the p-value for SpikeAndDip);
    #: NaN where ASA outputs NULL. May be +inf.
    score: float
    #: ASA's ``IsAnomaly``; False where ASA outputs NULL.
    is_anomaly: bool
    #: Whether the event reached the model (``when`` true and the value not NULL).
    included: bool


class _Function(Snapshots):
    __slots__ = ("_core", "_params")
    _core_type: Any

    def _make_core(self, params: tuple[Any, ...]) -> Any:
        return self._core_type(*params)

    def evaluate(self, key: Any, timestamp: Any, value: float | None, when: bool | None = True) -> Record:
        """Scores one event of partition ``key``.

        Args:
            key: the PARTITION BY key: a str, an int or None (``1`` and ``"1"`` differ).
            timestamp: the event time: ``datetime`` (naive = UTC), ``numpy.datetime64``,
                ``pandas.Timestamp`` or an ISO-8601 string.
            value: the number to score; None or NaN is NULL.
            when: the WHEN condition; False or None excludes the event.

        Returns a :class:`Record`; an excluded event gives ``(nan, False, False)`` and
        changes nothing. Raises ``ValueError``, changing nothing, when the value is ±inf or
        beyond float32's range, or when the time is earlier than the key's last event.
        """
        if when is not None and not isinstance(when, (bool, np.bool_)):
            msg = f"when must be a bool or None; got {type(when).__name__}"
            raise TypeError(msg)
        v = to_value(value)
        t = to_time_ticks(timestamp)
        return Record(*self._core.evaluate(key, t, math.nan if v is None else v, bool(when)))

    def evaluate_many(self, keys: Any, timestamps: Any, values: Any, when: Any = None) -> np.ndarray:
        """Scores events in order; equals repeated :meth:`evaluate` calls.

        Args:
            keys: one key per event (str, int or None), as an array or sequence; or None to
                put every event in one partition (no PARTITION BY).
            timestamps: numpy ``datetime64`` of any unit, a pandas ``DatetimeIndex`` /
                ``Series`` (naive = UTC, tz-aware converted), ISO-8601 strings, or
                ``datetime`` objects.
            values: numbers; NaN, None and pandas' NA are NULL.
            when: None (every event included) or one bool per event (None / NA = false).

        Returns a structured array with fields ``score`` (f8, NaN where NULL),
        ``is_anomaly`` (bool, False where NULL) and ``included`` (bool). The batch is
        validated as a whole first: when any event would fail (a time earlier than its
        key's previous event, ±inf, ...) ``ValueError`` names the event's index and key
        and nothing changes; it is a :class:`streamcp.BatchError` whose attributes
        ``index``, ``field`` (``"timestamps"`` or ``"values"``), ``key`` and ``reason`` give
        the same without parsing. The GIL is released while scoring.
        """
        vals = to_values(values)
        n = vals.shape[0]
        times = to_times_ticks(timestamps)
        if times.shape[0] != n:
            msg = f"timestamps has {times.shape[0]} elements; values has {n}"
            raise ValueError(msg)
        return self._core.evaluate_many(to_keys(keys), times, vals, to_when(when, n))

    def evict_idle(self, now: Any, max_idle: Any) -> int:
        """Forgets partitions whose last event is more than ``max_idle`` before ``now``."""
        return int(self._core.evict_idle(to_time_ticks(now, "now"), to_duration_ns(max_idle, "max_idle", allow_zero=True)))

    partition_count = core_property("partition_count", int, "Partitions currently held.")
    confidence = core_property("confidence", float)
    history = core_property("history", int)

    @property
    def duration(self) -> np.timedelta64:
        """The LIMIT DURATION, as ``numpy.timedelta64`` in nanoseconds."""
        return np.timedelta64(int(self._core.duration_ns), "ns")

    fractional_confidence = core_property("fractional_confidence", bool)
    threshold = core_property(
        "threshold", float, "Every partition's alert threshold (after the confidence is truncated)."
    )
    kernel = core_property(
        "kernel", str, 'Every partition\'s KDE kernel: ``"exact"`` or ``"fast"`` (a setting, not state).'
    )

    def _pickle_extras(self) -> dict[str, Any]:
        return {"params": self._params}

    def _load_state(self, state: dict[str, Any]) -> None:
        params = tuple(state["params"])
        core = self._make_core(params)
        core.restore(state["snapshot"])
        self._params = params
        self._core = core


def _ttl_ns(idle_ttl: Any) -> int:
    return 0 if idle_ttl is None else to_duration_ns(idle_ttl, "idle_ttl")


class AnomalyDetectionChangePoint(_Function):
    """ASA's ``AnomalyDetection_ChangePoint(value, confidence, history)
    OVER (PARTITION BY key LIMIT DURATION(duration) WHEN cond)`` (semantics.md#asa-mapping, #imputation, #decisions).

    One ML.NET change-point model per key (power martingale, epsilon 0.1), created on the
    key's first included event; missing events within LIMIT DURATION are imputed.

    Args:
        confidence: percent in [1, 100]; truncated to an integer as ASA does unless
            ``fractional_confidence`` is true.
        history: events of history per key (>= 1).
        duration: the LIMIT DURATION, in (0, 7 days]: ``datetime.timedelta``,
            ``numpy.timedelta64`` or a string (``"30m"``, ``"2h"``, ``"120s"``,
            ``"500ms"``, ``"PT30M"``).
        fractional_confidence: keep a fractional confidence (semantics.md#decision-6).
        idle_ttl: forget a key idle (in event time) for longer than this; None never does.
        kernel: ``"exact"`` (ML.NET's numbers bit for bit) or ``"fast"``
            (docs/semantics.md#fast-kernel); a pickle or restore keeps it.

    Each key's events must come in nondecreasing time. Picklable and deep-copyable through
    the C++ snapshot format.
    """

    __slots__ = ()
    _core_type = _core.function.AnomalyDetectionChangePoint

    def __init__(
        self,
        confidence: float,
        history: int,
        duration: Any,
        fractional_confidence: bool = False,
        *,
        idle_ttl: Any = None,
        kernel: str = "exact",
    ) -> None:
        params = (
            check_confidence(confidence),
            check_history(history),
            to_duration_ns(duration),
            check_flag(fractional_confidence, "fractional_confidence"),
            _ttl_ns(idle_ttl),
            check_kernel(kernel),
        )
        self._core = self._make_core(params)
        self._params = params

    def __repr__(self) -> str:
        return (
            f"AnomalyDetectionChangePoint(confidence={self.confidence!r}, history={self.history!r}, "
            f"duration={self.duration!r}, fractional_confidence={self.fractional_confidence!r}, "
            f"kernel={self.kernel!r})"
        )


class AnomalyDetectionSpikeAndDip(_Function):
    """ASA's ``AnomalyDetection_SpikeAndDip(value, confidence, history, mode)
    OVER (PARTITION BY key LIMIT DURATION(duration) WHEN cond)`` (semantics.md#spike-and-dip).

    Arguments and rules as :class:`AnomalyDetectionChangePoint`, plus ``mode``:
    ``"spikes"``, ``"dips"`` or ``"spikesanddips"``. ``Score`` is the p-value. ``kernel`` as
    :class:`AnomalyDetectionChangePoint`'s.
    """

    __slots__ = ()
    _core_type = _core.function.AnomalyDetectionSpikeAndDip

    def __init__(
        self,
        confidence: float,
        history: int,
        mode: str,
        duration: Any,
        fractional_confidence: bool = False,
        *,
        idle_ttl: Any = None,
        kernel: str = "exact",
    ) -> None:
        params = (
            check_confidence(confidence),
            check_history(history),
            check_choice(mode, "mode", SPIKE_MODES),
            to_duration_ns(duration),
            check_flag(fractional_confidence, "fractional_confidence"),
            _ttl_ns(idle_ttl),
            check_kernel(kernel),
        )
        self._core = self._make_core(params)
        self._params = params

    mode = core_property("mode", str)

    def __repr__(self) -> str:
        return (
            f"AnomalyDetectionSpikeAndDip(confidence={self.confidence!r}, history={self.history!r}, "
            f"mode={self.mode!r}, duration={self.duration!r}, "
            f"fractional_confidence={self.fractional_confidence!r}, kernel={self.kernel!r})"
        )


#: The dtype of ``evaluate_many``'s result (fields ``score``, ``is_anomaly``, ``included``).
FUNCTION_DTYPE: np.dtype = _core.function.FUNCTION_DTYPE
