# SPDX-License-Identifier: MIT
"""pandas helper: score a DataFrame as a Stream Analytics query would.

>>> import streamcp.pandas
>>> out = streamcp.pandas.detect(df, value="temp", timestamp="datetime", partition_by="device",
...                              confidence=80, history=12, duration="30m")
>>> out[out["IsAnomaly"] == 1]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._convert import check_kernel, to_duration_ns, to_keys, to_times_ticks, to_values, to_when
from ._functions import AnomalyDetectionChangePoint, AnomalyDetectionSpikeAndDip, BatchError
from ._robust import RobustChangePointDetector

__all__ = ["EXTRA_COLUMNS", "detect"]


_TIMESTAMP_UNITS = ("s", "ms", "us", "ns")
#: The optional output columns ``extra`` may ask for.
EXTRA_COLUMNS = ("PValue", "Threshold")
# Rows scored per core call: the core's per-event buffers (~110 bytes/event) stay a few MiB
# instead of growing with the frame.
_CHUNK = 1 << 16
_KEY_ERROR = re.compile(r"keys\[(\d+)\](.*)", re.DOTALL)


def _column(df: pd.DataFrame, name: Any, what: str) -> pd.Series:
    """The column labelled ``name`` (any hashable label, tuples of a MultiIndex included)."""
    try:
        found = name in df.columns
    except TypeError:  # unhashable
        msg = f"{what} must name one column of the frame; got {type(name).__name__}"
        raise TypeError(msg) from None
    if not found:
        msg = f"{what} = {name!r} is not a column of the frame (columns: {list(df.columns)!r})"
        raise ValueError(msg)
    column = df[name]
    if not isinstance(column, pd.Series):
        msg = f"{what} = {name!r} names {column.shape[1]} columns of the frame; name one"
        raise ValueError(msg)
    return column


def _output_label(df: pd.DataFrame, name: str) -> Any:
    """``name``, padded with empty levels when the columns are a MultiIndex: ``("Score", "")``."""
    levels = df.columns.nlevels
    return name if levels == 1 else (name, *[""] * (levels - 1))


def _timestamp_source(df: pd.DataFrame, name: Any) -> tuple[Any, str]:
    """The event times (a column, an index level or the index) and how errors name them."""
    if name is None:
        return df.index, "df.index"
    try:
        in_index = name not in df.columns and name in df.index.names
    except TypeError:
        in_index = False
    if in_index:
        return df.index.get_level_values(name), f"df.index level {name!r}"
    return _column(df, name, "timestamp"), f"df[{name!r}]"


def _times_ticks(times: Any, where: str, unit: str | None) -> np.ndarray:
    if unit is None:
        return to_times_ticks(times, where)
    if unit not in _TIMESTAMP_UNITS:
        msg = f"timestamp_unit = {unit!r} is out of range: allowed 's', 'ms', 'us' or 'ns'"
        raise ValueError(msg)
    if not isinstance(times.dtype, np.dtype) or times.dtype.kind not in "iuf":
        msg = f"timestamp_unit applies to epoch numbers; {where} has dtype {times.dtype}"
        raise TypeError(msg)
    missing = np.flatnonzero(pd.isna(times))
    if missing.size:
        msg = f"{where}[{int(missing[0])}] is missing: every event needs a time"
        raise ValueError(msg)
    return to_times_ticks(pd.to_datetime(times, unit=unit), where)


def _check_extra(extra: Any) -> tuple[str, ...]:
    """``extra``'s column names, each once, in the order given (None: none)."""
    names = (extra,) if isinstance(extra, str) else () if extra is None else extra
    if not isinstance(names, Iterable):
        msg = f"extra must be a sequence of column names; got {type(extra).__name__}"
        raise TypeError(msg)
    names = tuple(names)
    for name in names:
        if name not in EXTRA_COLUMNS:
            msg = f"extra = {extra!r}: {name!r} is not an optional output column; allowed 'PValue' and 'Threshold'"
            raise ValueError(msg)
    return tuple(dict.fromkeys(names))


def _time_order(times: np.ndarray) -> np.ndarray | None:
    """The stable time order of the rows, or None when they are in it already (no copy)."""
    if times.size < 2 or bool(np.all(times[1:] >= times[:-1])):
        return None
    return np.argsort(times, kind="stable")


def _row(df: pd.DataFrame, position: int) -> str:
    label = df.index[position]
    label = label.item() if isinstance(label, np.generic) else label  # 3, not np.int64(3)
    return f"row {label!r} (position {position}"


class _Scores:
    """The result columns, preallocated and filled chunk by chunk in the rows' order."""

    def __init__(self, n: int, p_value: bool) -> None:
        self.score = np.empty(n, dtype=np.float64)
        self.alert = np.empty(n, dtype=np.int8)
        self.excluded = np.empty(n, dtype=bool)
        self.p_value = np.empty(n, dtype=np.float64) if p_value else None

    def fill(self, rows: Any, result: np.ndarray, p_value: np.ndarray | None) -> None:
        """Puts one chunk's results at ``rows`` (a slice or positions); ``p_value`` if given."""
        self.score[rows] = result["score"]
        self.alert[rows] = result["is_anomaly"]
        self.excluded[rows] = ~result["included"]
        if self.p_value is not None and p_value is not None:
            self.p_value[rows] = p_value


def _score(
    core: Any,
    df: pd.DataFrame,
    keys: np.ndarray | None,
    times: np.ndarray,
    values: np.ndarray,
    flags: np.ndarray | None,
    scores: _Scores,
    where: tuple[str, str, str],
) -> None:
    """Scores the rows in time order, ``_CHUNK`` at a time, into ``scores``.

    ``where``: how errors name the value, timestamp and key columns. A chunk's refusal comes
    before any later chunk is scored; ``detect`` drops the function then, so scoring chunk by
    chunk is as atomic as one call for the caller.
    """
    n = values.shape[0]
    order = _time_order(times)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        rows: Any = slice(start, stop) if order is None else order[start:stop]
        p_value = None
        if scores.p_value is not None:
            # A slice of the output is written in place; gathered rows go through a buffer.
            p_value = scores.p_value[rows] if order is None else np.empty(stop - start, dtype=np.float64)
        try:
            result = core.evaluate_many(
                None if keys is None else keys[rows],
                times[rows],
                values[rows],
                None if flags is None else flags[rows],
                p_value,
            )
        except BatchError as error:
            position = start + error.index if order is None else int(order[start + error.index])
            column = where[0] if error.field == "values" else where[1]
            msg = f"{column} at {_row(df, position)}, key {error.key!r}): {error.reason}"
            raise ValueError(msg) from None
        except (TypeError, ValueError) as error:
            found = _KEY_ERROR.fullmatch(str(error))
            if found is None:
                raise
            i = start + int(found.group(1))
            position = i if order is None else int(order[i])
            msg = f"{where[2]} at {_row(df, position)}){found.group(2)}"
            raise type(error)(msg) from None
        scores.fill(rows, result, None if order is None else p_value)  # a slice is filled in place


def detect(
    df: pd.DataFrame,
    *,
    value: Any,
    timestamp: Any = None,
    partition_by: Any = None,
    when: Any = None,
    confidence: float | None = None,
    history: int | None = None,
    duration: Any,
    fractional_confidence: bool = False,
    mode: str | None = None,
    detector: str = "asa",
    kernel: str = "exact",
    timestamp_unit: str | None = None,
    extra: Any = (),
) -> pd.DataFrame:
    """Scores every row of ``df`` as ASA's query would and returns a copy with two columns.

    The equivalent Stream Analytics query is::

        SELECT *, cp.Score, cp.IsAnomaly FROM (
          SELECT *, AnomalyDetection_ChangePoint(value, confidence, history)
                 OVER (PARTITION BY partition_by LIMIT DURATION(duration) WHEN when) AS cp
          FROM input TIMESTAMP BY timestamp)

    Args:
        df: the events, one per row.
        value: the column to score (numbers; NaN / None / NA are NULL).
        timestamp: the event times: a column label, an index level name, or None for the
            index. datetime64 (naive = UTC, tz-aware converted), ``Timestamp`` objects,
            ISO-8601 strings (docs/semantics.md#text-timestamps), or epoch numbers with
            ``timestamp_unit``. Column labels may be any hashable (tuples too).
        partition_by: the key column (str or int keys; missing = the NULL key), or None for
            one partition.
        when: None, a boolean column name, or one bool per row: false / NA rows are
            excluded (Score and IsAnomaly NA, no state change).
        confidence, history, duration, fractional_confidence: as
            :class:`streamcp.AnomalyDetectionChangePoint`.
        mode: None for AnomalyDetection_ChangePoint; ``"spikes"``, ``"dips"`` or
            ``"spikesanddips"`` for AnomalyDetection_SpikeAndDip (Score is the p-value).
        detector: ``"asa"`` (the default: ASA's functions, exactly) or ``"robust"``: the
            recommended detector, :class:`streamcp.RobustChangePointDetector`, per partition
            with the same LIMIT DURATION imputation (interval = duration ÷ its history), WHEN
            and NULL rules. Its Score (the CUSUM martingale) and IsAnomaly (1 on the event at
            which a change is reported) are **not ASA's numbers**. ``confidence`` and
            ``history`` are then optional (the detector's defaults); ``mode`` and
            ``fractional_confidence`` do not apply.
        kernel: ``"exact"`` (ML.NET's numbers bit for bit) or ``"fast"`` (AVX2: p-values
            within 1e-14, the same alerts in every measurement; docs/semantics.md#fast-kernel).
            Detector ``"asa"`` only.
        timestamp_unit: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``: the timestamps are numbers
            since the Unix epoch in that unit (integers or floats).
        extra: optional output columns, after ``IsAnomaly`` in the order given:
            ``"PValue"`` (float64: the event's KDE p-value, NaN where ``Score`` is NULL; for
            SpikeAndDip it equals ``Score``; for detector ``"robust"`` the p-value its
            martingale bets on, NaN during warm-up) and ``"Threshold"`` (float64, the same on
            every row: what ``Score`` is compared with, ``Score >= Threshold`` for ChangePoint
            and the robust detector, ``Score <= Threshold`` for SpikeAndDip; the threshold
            after ASA's truncation of the confidence).

    Returns:
        A copy of ``df`` in the original row order with ``Score`` (float64, NaN where ASA
        outputs NULL) and ``IsAnomaly`` (nullable ``Int8``: 0, 1 or NA) columns and the
        ``extra`` ones, replacing columns of those names (``("Score", "")`` … when the
        columns are a MultiIndex).

    Errors: a refused event names its column, the row's index label and position in ``df``
    and its key (``df['temp'] at row 986 (position 0, key 'dev-3'): value = inf ...``).

    Order: ASA consumes each partition's events in timestamp order (TIMESTAMP BY), and the
    function requires nondecreasing time within a key. ``detect`` therefore scores the rows
    sorted stably by timestamp (rows with equal times keep their order in ``df``) and puts
    the results back in the original row order. The result equals
    ``evaluate_many`` over the time-sorted rows.

    Memory: the rows are scored a chunk at a time straight into the result columns, so
    beyond the returned frame ``detect`` needs about 8 bytes per row for the sort order
    (none when the rows are in time order already) and a few MiB.
    """
    if not isinstance(df, pd.DataFrame):
        msg = f"df must be a pandas DataFrame; got {type(df).__name__}"
        raise TypeError(msg)
    columns = _check_extra(extra)
    core: Any
    if detector == "robust":
        if mode is not None or fractional_confidence or check_kernel(kernel) != "exact":
            msg = "mode, fractional_confidence and kernel='fast' apply to detector='asa' only"
            raise ValueError(msg)
        model_args = {k: v for k, v in (("confidence", confidence), ("history", history)) if v is not None}
        model = RobustChangePointDetector(**model_args)
        core = _core.function.RobustChangePoint(model._core, to_duration_ns(duration))
        threshold = model.threshold
    elif detector == "asa":
        if confidence is None or history is None:
            msg = "confidence and history are required with detector='asa'"
            raise ValueError(msg)
        if mode is None:
            core = AnomalyDetectionChangePoint(
                confidence, history, duration, fractional_confidence, kernel=kernel
            )._core
        else:
            core = AnomalyDetectionSpikeAndDip(
                confidence, history, mode, duration, fractional_confidence, kernel=kernel
            )._core
        threshold = core.threshold
    else:
        msg = f"detector must be 'asa' or 'robust'; got {detector!r}"
        raise ValueError(msg)

    n = len(df)
    values = to_values(_column(df, value, "value"), f"df[{value!r}]")
    time_source, time_where = _timestamp_source(df, timestamp)
    times = _times_ticks(time_source, time_where, timestamp_unit)
    keys = None if partition_by is None else to_keys(_column(df, partition_by, "partition_by"), f"df[{partition_by!r}]")
    if isinstance(when, str):
        flags = to_when(_column(df, when, "when"), n, f"df[{when!r}]")
    else:
        flags = to_when(when, n)

    scores = _Scores(n, "PValue" in columns)
    _score(
        core, df, keys, times, values, flags, scores,
        (f"df[{value!r}]", time_where, f"df[{partition_by!r}]"),
    )

    out = df.copy()
    out[_output_label(df, "Score")] = scores.score
    out[_output_label(df, "IsAnomaly")] = pd.arrays.IntegerArray(scores.alert, scores.excluded)
    for name in columns:
        column = scores.p_value if name == "PValue" else np.full(n, threshold, dtype=np.float64)
        out[_output_label(df, name)] = column
    return out
