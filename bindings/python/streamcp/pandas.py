# SPDX-License-Identifier: MIT
"""pandas helper: score a DataFrame as a Stream Analytics query would.

>>> import streamcp.pandas
>>> out = streamcp.pandas.detect(df, value="temp", timestamp="datetime", partition_by="device",
...                              confidence=80, history=12, duration="30m")
>>> out[out["IsAnomaly"] == 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._convert import check_kernel, to_duration_ns, to_keys, to_times_ticks, to_values, to_when
from ._functions import AnomalyDetectionChangePoint, AnomalyDetectionSpikeAndDip, BatchError
from ._robust import RobustChangePointDetector

__all__ = ["detect"]


_TIMESTAMP_UNITS = ("s", "ms", "us", "ns")


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

    Returns:
        A copy of ``df`` in the original row order with ``Score`` (float64, NaN where ASA
        outputs NULL) and ``IsAnomaly`` (nullable ``Int8``: 0, 1 or NA) columns, replacing
        columns of those names (``("Score", "")`` … when the columns are a MultiIndex).

    Errors: a refused event names its column, the row's index label and position in ``df``
    and its key (``df['temp'] at row 986 (position 0, key 'dev-3'): value = inf ...``).

    Order: ASA consumes each partition's events in timestamp order (TIMESTAMP BY), and the
    function requires nondecreasing time within a key. ``detect`` therefore scores the rows
    sorted stably by timestamp (rows with equal times keep their order in ``df``) and puts
    the results back in the original row order. The result equals
    ``evaluate_many`` over the time-sorted rows.
    """
    if not isinstance(df, pd.DataFrame):
        msg = f"df must be a pandas DataFrame; got {type(df).__name__}"
        raise TypeError(msg)
    core: Any
    if detector == "robust":
        if mode is not None or fractional_confidence or check_kernel(kernel) != "exact":
            msg = "mode, fractional_confidence and kernel='fast' apply to detector='asa' only"
            raise ValueError(msg)
        model_args = {k: v for k, v in (("confidence", confidence), ("history", history)) if v is not None}
        model = RobustChangePointDetector(**model_args)
        core = _core.function.RobustChangePoint(model._core, to_duration_ns(duration))
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

    order = np.argsort(times, kind="stable")
    try:
        result = core.evaluate_many(
            None if keys is None else keys[order],
            times[order],
            values[order],
            None if flags is None else flags[order],
        )
    except BatchError as error:
        # The core counts in time order; the user knows their rows by label and position.
        position = int(order[error.index])
        label = df.index[position]
        label = label.item() if isinstance(label, np.generic) else label  # 3, not np.int64(3)
        where = f"df[{value!r}]" if error.field == "values" else time_where
        msg = f"{where} at row {label!r} (position {position}, key {error.key!r}): {error.reason}"
        raise ValueError(msg) from None

    score = np.empty(n, dtype=np.float64)
    alert = np.empty(n, dtype=np.int8)
    included = np.empty(n, dtype=bool)
    score[order] = result["score"]
    alert[order] = result["is_anomaly"]
    included[order] = result["included"]

    out = df.copy()
    out[_output_label(df, "Score")] = pd.Series(score, index=df.index, dtype="float64")
    out[_output_label(df, "IsAnomaly")] = pd.Series(pd.arrays.IntegerArray(alert, ~included), index=df.index)
    return out
