# SPDX-License-Identifier: MIT
"""Argument translation: timestamps, durations, values, keys and WHEN flags.

Everything here turns user input into the plain arrays the C++ core takes (int64
100 ns ticks since the Unix epoch, float64 with NaN for NULL, booleans). No numerical logic
lives here, and no per-element Python loop over strings or numbers: duration and ISO-8601
strings are read by the C++ grammar the CLI uses (docs/semantics.md#text-durations,
#text-timestamps), object arrays are converted in C++. Errors are ``ValueError`` /
``TypeError`` naming the argument.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import operator
import sys
from typing import Any

import numpy as np

from . import _core

__all__ = [
    "SPIKE_MODES",
    "check_choice",
    "check_confidence",
    "check_count",
    "check_flag",
    "check_history",
    "check_kernel",
    "to_duration_ns",
    "to_keys",
    "to_time_ns",
    "to_time_ticks",
    "to_times_ns",
    "to_times_ticks",
    "to_value",
    "to_values",
    "to_when",
]

_convert = _core.convert

#: SpikeAndDip's modes, in the core's spelling (the core checks the value).
SPIKE_MODES = ("spikes", "dips", "spikesanddips")
_NS = "timedelta64[ns]"


def _pandas() -> Any:
    """The pandas module when it is loaded (no pandas object can exist before), else None."""
    return sys.modules.get("pandas")


def _pandas_na() -> object:
    """pandas' NA scalar, or None (which means NULL anyway) when pandas is not loaded."""
    pd = _pandas()
    return None if pd is None else pd.NA


def _pandas_array(obj: object) -> bool:
    """Whether ``obj`` is a pandas Series, Index or extension array."""
    pd = _pandas()
    return pd is not None and isinstance(obj, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray))


def _object_array(items: Any, name: str) -> np.ndarray:
    """A 1-d object array holding ``items``' elements as they are (no type inference)."""
    if isinstance(items, (str, bytes)) or not hasattr(items, "__len__"):
        msg = f"{name} must be an array or sequence; got {type(items).__name__}"
        raise TypeError(msg)
    array = np.empty(len(items), dtype=object)
    array[:] = list(items)
    return array


def _one_dimensional(array: np.ndarray, name: str) -> np.ndarray:
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional; got {array.ndim} dimensions"
        raise ValueError(msg)
    return array


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def check_confidence(confidence: object, name: str = "confidence") -> float:
    """A real number (not a bool); the range is checked by the core."""
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        msg = f"{name} must be a number; got {confidence!r} ({type(confidence).__name__})"
        raise TypeError(msg)
    return float(confidence)


def check_count(value: object, name: str) -> int:
    """An integer (not a bool, not a float); its range is checked by the core."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be an integer; got {value!r} ({type(value).__name__})"
        raise TypeError(msg)
    return operator.index(value)


def check_flag(value: object, name: str) -> bool:
    """A bool (Python's or numpy's)."""
    if not isinstance(value, (bool, np.bool_)):
        msg = f"{name} must be a bool; got {value!r} ({type(value).__name__})"
        raise TypeError(msg)
    return bool(value)


def check_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``'s strings, checked for its type here and its value by the core."""
    if not isinstance(value, str):
        msg = f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r} ({type(value).__name__})"
        raise TypeError(msg)
    return value


def check_kernel(kernel: object) -> str:
    """``kernel`` if it is ``"exact"`` or ``"fast"``, else the error naming the argument."""
    if not isinstance(kernel, str):
        msg = f"kernel must be 'exact' or 'fast'; got {type(kernel).__name__}"
        raise TypeError(msg)
    if kernel not in ("exact", "fast"):
        msg = f"kernel = {kernel!r} is out of range: allowed 'exact' or 'fast'"
        raise ValueError(msg)
    return kernel


def check_history(history: object) -> int:
    """An integer number of events (not a bool, not a float); the range is checked by the core."""
    if isinstance(history, bool) or not isinstance(history, numbers.Integral):
        msg = f"history must be an integer number of events; got {history!r} ({type(history).__name__})"
        raise TypeError(msg)
    value = operator.index(history)
    if not 1 <= value <= 2147483647:
        msg = f"history = {value} is out of range: allowed [1, 2147483647]"
        raise ValueError(msg)
    return value


# --------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------


def _timedelta64_ns(duration: np.timedelta64, name: str) -> int:
    unit, _ = np.datetime_data(duration.dtype)
    if np.isnat(duration):
        msg = f"{name} is NaT (not a duration)"
        raise ValueError(msg)
    if unit in ("Y", "M", "generic"):
        msg = f"{name} = {duration!r} has no fixed length (unit {unit!r}): use days or finer"
        raise ValueError(msg)
    ns = duration.astype(_NS)
    if ns.astype(duration.dtype) != duration:  # numpy wraps around silently on overflow
        msg = f"{name} = {duration!r} is out of range: too long"
        raise ValueError(msg)
    return int(ns.astype(np.int64))


def to_duration_ns(duration: object, name: str = "duration", *, allow_zero: bool = False) -> int:
    """A duration in nanoseconds.

    Accepts ``datetime.timedelta`` (and ``pandas.Timedelta``), ``numpy.timedelta64`` of a
    fixed unit, or a string in the project's grammar (docs/semantics.md#text-durations):
    ``"30m"``, ``"2h"``, ``"1h30m"``, ``"1.5m"``, ``"500ms"``, ``"250µs"``, ``"1d"`` or
    ISO-8601 (``"PT30M"``, ``"P1DT2H"``, ``"PT0.5S"``). Plain numbers are refused: their
    unit would be a guess.
    """
    pd = _pandas()
    if pd is not None and isinstance(duration, pd.Timedelta):
        duration = duration.to_timedelta64()  # keeps nanoseconds, unlike datetime.timedelta
    if isinstance(duration, str):
        ns = _convert.duration_ns(duration, name)
    elif isinstance(duration, np.timedelta64):
        ns = _timedelta64_ns(duration, name)
    elif isinstance(duration, _dt.timedelta):
        ns = _timedelta64_ns(np.timedelta64(duration, "us"), name)
    else:
        msg = (
            f"{name} must be a datetime.timedelta, a numpy.timedelta64 or a string such as "
            f"'30m'; got {type(duration).__name__}"
        )
        raise TypeError(msg)
    if ns < 0 or (ns == 0 and not allow_zero):
        msg = f"{name} = {duration!r} is out of range: allowed a positive duration"
        raise ValueError(msg)
    return ns


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------

# .NET DateTime's range, what ASA accepts (docs/semantics.md#time), in whole microseconds.
_TIME_RANGE = (np.datetime64("0001-01-01T00:00:00", "us"), np.datetime64("9999-12-31T23:59:59.999999", "us"))
_OUT_OF_RANGE = (
    "is out of range: streamcp takes instants from 0001-01-01T00:00:00Z to "
    "9999-12-31T23:59:59.9999999Z (.NET's range, docs/semantics.md#time)"
)
# The ticks whose nanoseconds int64 holds (1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z).
_NS_TICKS = (-((2**63) // 100), (2**63 - 1) // 100)


def _datetime64_to_ticks(values: np.ndarray, where: str, *, scalar: bool = False) -> np.ndarray:
    unit, _ = np.datetime_data(values.dtype)
    if unit == "generic":
        msg = f"{where} has datetime64 without a unit"
        raise ValueError(msg)
    nat = np.isnat(values)
    if nat.any():
        msg = f"{where}[{int(np.flatnonzero(nat)[0])}] is missing (NaT): every event needs a time"
        raise ValueError(msg)
    if unit in ("ns", "ps", "fs", "as"):
        # These units end within 1677..2262, inside the range; // truncates toward the past.
        return values.astype("datetime64[ns]").astype(np.int64) // 100
    # The range's ends in the array's own unit (no conversion of far values can overflow).
    low, high = (bound.astype(values.dtype) for bound in _TIME_RANGE)
    if low < _TIME_RANGE[0]:  # a unit whose step straddles 0001-01-01 (weeks)
        low = low + np.timedelta64(1, unit)
    bad = np.flatnonzero((values < low) | (values > high))
    if bad.size:
        msg = f"{where if scalar else f'{where}[{int(bad[0])}]'} {_OUT_OF_RANGE}"
        raise ValueError(msg)
    return values.astype("datetime64[us]").astype(np.int64) * 10


def _ticks_to_ns(ticks: np.ndarray, where: str) -> np.ndarray:
    bad = np.flatnonzero((ticks < _NS_TICKS[0]) | (ticks > _NS_TICKS[1]))
    if bad.size:
        msg = (
            f"{where}[{int(bad[0])}] is out of range for nanoseconds: int64 nanoseconds since "
            "1970 reach 1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z"
        )
        raise ValueError(msg)
    return ticks * 100


def _scalar_datetime64(value: object, where: str) -> np.datetime64:
    """One non-string timestamp as datetime64 (UTC)."""
    pd = _pandas()
    if value is None or value is _pandas_na() or (isinstance(value, float) and np.isnan(value)):
        msg = f"{where} is missing: every event needs a time"
        raise ValueError(msg)
    if pd is not None and isinstance(value, pd.Timestamp):
        return (value.tz_convert(None) if value.tzinfo is not None else value).to_datetime64()
    if pd is not None and value is pd.NaT:
        msg = f"{where} is missing (NaT): every event needs a time"
        raise ValueError(msg)
    if isinstance(value, np.datetime64):
        return value
    if isinstance(value, _dt.datetime):
        local = np.datetime64(value.replace(tzinfo=None), "us")
        offset = value.utcoffset() if value.tzinfo is not None else None
        # numpy, not astimezone: near year 1 or 9999 the UTC instant may leave datetime's range.
        return local if offset is None else local - np.timedelta64(offset // _dt.timedelta(microseconds=1), "us")
    if isinstance(value, _dt.date):
        return np.datetime64(value, "D")
    msg = (
        f"{where} must be a datetime, numpy.datetime64, pandas.Timestamp or ISO-8601 string; "
        f"got {type(value).__name__}"
    )
    raise TypeError(msg)


def to_time_ticks(timestamp: object, name: str = "timestamp") -> int:
    """One event time as int64 100 ns ticks since 1970-01-01T00:00:00Z (naive = UTC), from
    0001-01-01 to 9999-12-31T23:59:59.9999999Z; finer times are truncated toward the past."""
    if isinstance(timestamp, str):
        return int(_convert.time_ticks(timestamp, name))
    one = np.array([_scalar_datetime64(timestamp, name)])
    return int(_datetime64_to_ticks(one, name, scalar=True)[0])


def to_times_ticks(timestamps: object, name: str = "timestamps") -> np.ndarray:
    """Event times as an int64 array of 100 ns ticks since the Unix epoch.

    Accepts numpy ``datetime64`` arrays of any unit, pandas ``DatetimeIndex`` / ``Series``
    (naive = UTC; tz-aware converted to UTC), ISO-8601 strings in the project's grammar
    (docs/semantics.md#text-timestamps), ``datetime`` objects, or any sequence mixing them,
    over .NET's range, 0001-01-01 to 9999-12-31 (``datetime64[ns]`` itself ends in 2262).
    """
    if _pandas_array(timestamps):
        series: Any = timestamps
        if getattr(series.dtype, "tz", None) is not None:
            series = series.dt.tz_convert(None) if hasattr(series, "dt") else series.tz_convert(None)
        kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else "O"
        timestamps = series.to_numpy() if kind == "M" else series.to_numpy(dtype=object)
    array = timestamps if isinstance(timestamps, np.ndarray) else _object_array(timestamps, name)
    _one_dimensional(array, name)
    kind = array.dtype.kind
    if kind == "M":
        return _datetime64_to_ticks(array, name)
    if kind in ("U", "S", "O"):
        ticks, other = _convert.times_ticks(np.ascontiguousarray(array, dtype=object), name)
        # Non-string objects (datetime, Timestamp, datetime64 scalars) cannot be vectorised.
        for i in np.flatnonzero(other).tolist():
            ticks[i] = to_time_ticks(array[i], f"{name}[{i}]")
        return ticks
    msg = (
        f"{name} must hold datetimes or ISO-8601 strings; got an array of dtype {array.dtype} "
        "(convert epoch numbers with numpy.datetime64 or pandas.to_datetime and a unit)"
    )
    raise TypeError(msg)


def to_time_ns(timestamp: object, name: str = "timestamp") -> int:
    """One event time as int64 nanoseconds since 1970 (whole ticks; 1677 to 2262 only)."""
    ticks = to_time_ticks(timestamp, name)
    if not _NS_TICKS[0] <= ticks <= _NS_TICKS[1]:
        msg = (
            f"{name} is out of range for nanoseconds: int64 nanoseconds since 1970 reach "
            "1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z"
        )
        raise ValueError(msg)
    return ticks * 100


def to_times_ns(timestamps: object, name: str = "timestamps") -> np.ndarray:
    """Event times as an int64 array of nanoseconds since 1970 (whole ticks; 1677 to 2262)."""
    return _ticks_to_ns(to_times_ticks(timestamps, name), name)


# --------------------------------------------------------------------------------------------
# Values, keys, WHEN
# --------------------------------------------------------------------------------------------


def to_value(value: object, name: str = "value") -> float | None:
    """One value: a real number, or None / NaN / pandas' NA for NULL."""
    if value is None or value is _pandas_na():
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (numbers.Real, np.bool_)):
        msg = f"{name} must be a number or None; got {type(value).__name__}"
        raise TypeError(msg)
    return float(value)


def to_values(values: object, name: str = "values") -> np.ndarray:
    """A float64 array; NaN, None and pandas' NA all become NaN (NULL)."""
    if _pandas_array(values):
        dtype: Any = values.dtype  # type: ignore[attr-defined]
        if getattr(dtype, "kind", "O") in "biuf":
            return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)  # type: ignore[attr-defined]
        values = values.to_numpy(dtype=object)  # type: ignore[attr-defined]
    if isinstance(values, (str, bytes)):
        msg = f"{name} must be an array or sequence of numbers; got {type(values).__name__}"
        raise TypeError(msg)
    array = values if isinstance(values, np.ndarray) else _object_array(values, name)
    kind = _one_dimensional(array, name).dtype.kind
    if kind in "biuf":
        return np.ascontiguousarray(array, dtype=np.float64)
    if kind == "O":
        return _convert.values(np.ascontiguousarray(array), name, _pandas_na())
    msg = f"{name} must hold numbers; got an array of dtype {array.dtype}"
    raise TypeError(msg)


def to_keys(keys: object, name: str = "keys") -> Any:
    """Keys for the core: None (one partition) or an array (integers, floats or objects).

    The core converts the keys once (str, int, integral float, or None / NaN / NA for the
    NULL key) and checks their number against the values'.
    """
    if keys is None:
        return None
    if _pandas_array(keys):
        dtype: Any = keys.dtype  # type: ignore[attr-defined]
        kind = getattr(dtype, "kind", "O")
        if kind in "iu" and not keys.hasnans:  # type: ignore[attr-defined]
            return keys.to_numpy()  # type: ignore[attr-defined]
        if kind in "iuf":
            return keys.to_numpy(dtype=np.float64, na_value=np.nan)  # type: ignore[attr-defined]
        return keys.to_numpy(dtype=object, na_value=None)  # type: ignore[attr-defined]
    array = keys if isinstance(keys, np.ndarray) else _object_array(keys, name)
    return _one_dimensional(array, name)


def to_when(when: object, n: int, name: str = "when") -> np.ndarray | None:
    """A boolean array, or None for "all true". NULL (None / NA) counts as false, as in SQL."""
    if when is None:
        return None
    if _pandas_array(when):
        dtype: Any = when.dtype  # type: ignore[attr-defined]
        if dtype.kind not in "bO" and str(dtype) != "boolean":
            msg = f"{name} must be boolean; got dtype {dtype}"
            raise TypeError(msg)
        when = when.to_numpy(dtype=object, na_value=None)  # type: ignore[attr-defined]
    if isinstance(when, (bool, np.bool_)):
        return np.full(n, bool(when))
    array = when if isinstance(when, np.ndarray) else _object_array(when, name)
    _one_dimensional(array, name)
    if array.shape[0] != n:
        msg = f"{name} has {array.shape[0]} elements; values has {n}"
        raise ValueError(msg)
    if array.dtype.kind == "b":
        return np.ascontiguousarray(array, dtype=bool)
    if array.dtype.kind == "O":
        return _convert.flags(np.ascontiguousarray(array), name, _pandas_na())
    msg = f"{name} must be boolean; got an array of dtype {array.dtype}"
    raise TypeError(msg)
