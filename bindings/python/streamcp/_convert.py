# SPDX-License-Identifier: MIT
"""Argument translation: timestamps, durations, values, keys and WHEN flags.

Everything here turns user input into the plain arrays the C++ core takes (int64
nanoseconds since the Unix epoch, float64 with NaN for NULL, booleans). No numerical logic
lives here. Errors are ``ValueError`` / ``TypeError`` naming the argument.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import operator
import re
from typing import Any

import numpy as np

__all__ = [
    "check_confidence",
    "check_history",
    "to_duration_ns",
    "to_keys",
    "to_time_ns",
    "to_times_ns",
    "to_value",
    "to_values",
    "to_when",
]

_NS_PER = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "min": 60 * 1_000_000_000,
    "h": 3_600 * 1_000_000_000,
    "d": 86_400 * 1_000_000_000,
}
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min
_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)


def _is_pandas(obj: object) -> bool:
    return type(obj).__module__.partition(".")[0] == "pandas"


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def check_confidence(confidence: object, name: str = "confidence") -> float:
    """A real number (not a bool); the range is checked by the core."""
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        msg = f"{name} must be a number; got {type(confidence).__name__}"
        raise TypeError(msg)
    return float(confidence)


def check_history(history: object) -> int:
    """An integer number of events (not a bool, not a float); the range is checked by the core."""
    if isinstance(history, bool) or not isinstance(history, numbers.Integral):
        msg = f"history must be an integer number of events; got {type(history).__name__}"
        raise TypeError(msg)
    value = operator.index(history)
    if not 1 <= value <= 2147483647:
        msg = f"history = {value} is out of range: allowed [1, 2147483647]"
        raise ValueError(msg)
    return value


# --------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|ms|s|min|m|h|d)\s*$", re.IGNORECASE)
_ISO_DURATION_RE = re.compile(
    r"^\s*P(?:(?P<d>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<m>\d+(?:[.,]\d+)?)M)?(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?\s*$",
    re.IGNORECASE,
)


def _decimal_ns(text: str, unit_ns: int) -> int:
    """``text`` (a decimal number) times ``unit_ns``, exactly, truncated to whole ns."""
    whole, _, frac = text.replace(",", ".").partition(".")
    ns = int(whole or "0") * unit_ns
    if frac:
        ns += int(frac) * unit_ns // 10 ** len(frac)
    return ns


def _parse_duration_text(text: str) -> int | None:
    match = _DURATION_RE.match(text)
    if match:
        return _decimal_ns(match.group(1), _NS_PER[match.group(2).lower()])
    match = _ISO_DURATION_RE.match(text)
    if match and text.strip().upper() not in ("P", "PT") and any(match.groupdict().values()):
        if text.strip().upper().endswith("T"):
            return None
        total = 0
        for group, unit in (("d", "d"), ("h", "h"), ("m", "m"), ("s", "s")):
            if match.group(group):
                total += _decimal_ns(match.group(group), _NS_PER[unit])
        return total
    return None


def to_duration_ns(duration: object, name: str = "duration", *, allow_zero: bool = False) -> int:
    """A duration in nanoseconds.

    Accepts ``datetime.timedelta`` (and ``pandas.Timedelta``), ``numpy.timedelta64`` of a
    fixed unit, or a string: ``"30m"``, ``"2h"``, ``"120s"``, ``"500ms"``, ``"1d"``,
    ``"1.5h"`` or ISO-8601 (``"PT30M"``, ``"P1DT2H"``, ``"PT0.5S"``). Plain numbers are
    refused: their unit would be a guess.
    """
    ns: int | None
    if isinstance(duration, np.timedelta64):
        unit, _ = np.datetime_data(duration.dtype)
        if np.isnat(duration):
            msg = f"{name} is NaT (not a duration)"
            raise ValueError(msg)
        if unit in ("Y", "M", "generic"):
            msg = f"{name} = {duration!r} has no fixed length (unit {unit!r}): use days or finer"
            raise ValueError(msg)
        ns = int(duration.astype("timedelta64[ns]").astype(np.int64))
    elif isinstance(duration, _dt.timedelta):
        asm8 = getattr(duration, "asm8", None)  # pandas.Timedelta keeps nanoseconds
        if isinstance(asm8, np.timedelta64):
            ns = int(asm8.astype("timedelta64[ns]").astype(np.int64))
        else:
            ns = (duration.days * 86_400 + duration.seconds) * 1_000_000_000 + duration.microseconds * 1_000
    elif isinstance(duration, str):
        ns = _parse_duration_text(duration)
        if ns is None:
            msg = (
                f"{name} = {duration!r} is not a duration: use e.g. '30m', '2h', '120s', "
                "'500ms', '1d' or ISO-8601 'PT30M'"
            )
            raise ValueError(msg)
    else:
        msg = (
            f"{name} must be a datetime.timedelta, a numpy.timedelta64 or a string such as "
            f"'30m'; got {type(duration).__name__}"
        )
        raise TypeError(msg)
    if ns < 0 or (ns == 0 and not allow_zero):
        msg = f"{name} = {duration!r} is out of range: allowed a positive duration"
        raise ValueError(msg)
    if ns > _INT64_MAX:
        msg = f"{name} = {duration!r} is out of range: too long"
        raise ValueError(msg)
    return ns


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"^\s*(?P<date>[+-]?\d{4,}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<hh>\d{2}):(?P<mm>\d{2})(?::(?P<ss>\d{2})(?:[.,](?P<frac>\d+))?)?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def _split_iso(text: str, where: str) -> tuple[str, int, int]:
    """``(seconds-resolution ISO string, fraction in ns, UTC offset in ns)``."""
    match = _ISO_RE.match(text)
    if match is None:
        msg = (
            f"{where} = {text!r} is not an ISO-8601 timestamp (e.g. '2019-11-18T19:00:00Z', "
            "'2019-11-18T19:00:00.5+01:00')"
        )
        raise ValueError(msg)
    base = match.group("date")
    if match.group("hh") is not None:
        hh, mm = int(match.group("hh")), int(match.group("mm"))
        ss = int(match.group("ss") or 0)
        if hh > 23 or mm > 59 or ss > 59:
            msg = f"{where} = {text!r} is not a valid time of day"
            raise ValueError(msg)
        base += f"T{hh:02d}:{mm:02d}:{ss:02d}"
    frac = match.group("frac") or ""
    frac_ns = int((frac[:9]).ljust(9, "0")) if frac else 0
    offset_ns = 0
    tz = match.group("tz")
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        oh, om = int(digits[:2]), int(digits[2:4] or 0)
        if oh > 23 or om > 59:
            msg = f"{where} = {text!r} has an invalid UTC offset {tz!r}"
            raise ValueError(msg)
        offset_ns = sign * (oh * 3600 + om * 60) * 1_000_000_000
    return base, frac_ns, offset_ns


def _check_ns_range(seconds: np.ndarray, where: str) -> None:
    lo, hi = _INT64_MIN // 1_000_000_000 + 1, _INT64_MAX // 1_000_000_000 - 1
    bad = np.flatnonzero((seconds < lo) | (seconds > hi))
    if bad.size:
        msg = (
            f"{where}[{int(bad[0])}] is out of range: streamcp takes instants between "
            "1677-09-22 and 2262-04-10 (int64 nanoseconds since 1970)"
        )
        raise ValueError(msg)


def _strings_to_ns(texts: list[str], where: str) -> np.ndarray:
    n = len(texts)
    bases: list[str] = [""] * n
    frac = np.empty(n, dtype=np.int64)
    offset = np.empty(n, dtype=np.int64)
    for i, text in enumerate(texts):
        bases[i], frac[i], offset[i] = _split_iso(text, f"{where}[{i}]" if n > 1 else where)
    try:
        seconds = np.array(bases, dtype="datetime64[s]").astype(np.int64)
    except ValueError:
        for i, base in enumerate(bases):
            try:
                np.datetime64(base, "s")
            except ValueError:
                msg = f"{where}[{i}] = {texts[i]!r} is not a valid date"
                raise ValueError(msg) from None
        raise
    _check_ns_range(seconds, where)
    out = seconds * 1_000_000_000 + frac - offset
    return out


def _datetime64_to_ns(values: np.ndarray, where: str) -> np.ndarray:
    unit, _ = np.datetime_data(values.dtype)
    if unit == "generic":
        msg = f"{where} has datetime64 without a unit"
        raise ValueError(msg)
    nat = np.isnat(values)
    if nat.any():
        msg = f"{where}[{int(np.flatnonzero(nat)[0])}] is missing (NaT): every event needs a time"
        raise ValueError(msg)
    if unit not in ("ns", "ps", "fs", "as"):
        _check_ns_range(values.astype("datetime64[s]").astype(np.int64), where)
    return values.astype("datetime64[ns]").astype(np.int64)


def _datetime_to_ns(value: _dt.datetime) -> int:
    if value.tzinfo is not None and value.utcoffset() is not None:
        delta = value - _EPOCH
    else:
        delta = value.replace(tzinfo=None) - _EPOCH_NAIVE
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _scalar_to_ns(value: object, where: str) -> int:
    """One timestamp of any accepted form to ns since the Unix epoch."""
    if isinstance(value, str):
        return int(_strings_to_ns([value], where)[0])
    if _is_pandas(value) and hasattr(value, "to_datetime64"):  # pandas.Timestamp (or NaT)
        if value != value:  # noqa: PLR0124 (NaT)
            msg = f"{where} is missing (NaT): every event needs a time"
            raise ValueError(msg)
        if getattr(value, "tzinfo", None) is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return int(_datetime64_to_ns(np.array([value.to_datetime64()]), where)[0])
    if isinstance(value, np.datetime64):
        return int(_datetime64_to_ns(np.array([value]), where)[0])
    if isinstance(value, _dt.datetime):
        return _datetime_to_ns(value)
    if isinstance(value, _dt.date):
        return _datetime_to_ns(_dt.datetime(value.year, value.month, value.day))
    if value is None or (isinstance(value, float) and value != value):  # noqa: PLR0124
        msg = f"{where} is missing: every event needs a time"
        raise ValueError(msg)
    msg = (
        f"{where} must be a datetime, numpy.datetime64, pandas.Timestamp or ISO-8601 string; "
        f"got {type(value).__name__}"
    )
    raise TypeError(msg)


def to_time_ns(timestamp: object, name: str = "timestamp") -> int:
    """One event time as int64 nanoseconds since 1970-01-01T00:00:00Z (naive = UTC)."""
    return _scalar_to_ns(timestamp, name)


def to_times_ns(timestamps: object, name: str = "timestamps") -> np.ndarray:
    """Event times as an int64 array of nanoseconds since the Unix epoch.

    Accepts numpy ``datetime64`` arrays of any unit, pandas ``DatetimeIndex`` / ``Series``
    (naive = UTC; tz-aware converted to UTC), ISO-8601 strings (``Z``, ``+hh:mm``, ``+hhmm``,
    fractional seconds up to 9 digits), ``datetime`` objects, or any sequence mixing them.
    """
    if _is_pandas(timestamps):
        import pandas as pd  # noqa: PLC0415 (pandas is optional)

        if isinstance(timestamps, (pd.Series, pd.Index)) and isinstance(
            timestamps.dtype, pd.DatetimeTZDtype
        ):
            timestamps = (
                timestamps.dt.tz_convert("UTC").dt.tz_localize(None)
                if isinstance(timestamps, pd.Series)
                else timestamps.tz_convert("UTC").tz_localize(None)
            )
        if isinstance(timestamps, (pd.Series, pd.Index)):
            if timestamps.dtype.kind == "M":
                timestamps = timestamps.to_numpy()
            else:
                timestamps = timestamps.to_numpy(dtype=object)
    if isinstance(timestamps, np.ndarray):
        array = timestamps
    elif isinstance(timestamps, (str, bytes)) or not hasattr(timestamps, "__len__"):
        msg = f"{name} must be an array or sequence of timestamps; got {type(timestamps).__name__}"
        raise TypeError(msg)
    else:
        array = np.empty(len(timestamps), dtype=object)  # type: ignore[arg-type]
        array[:] = list(timestamps)  # type: ignore[call-overload]
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional; got {array.ndim} dimensions"
        raise ValueError(msg)
    kind = array.dtype.kind
    if kind == "M":
        return _datetime64_to_ns(array, name)
    if kind in ("U", "S"):
        texts = array.astype(str).tolist()
        return _strings_to_ns(texts, name) if texts else np.empty(0, dtype=np.int64)
    if kind == "O":
        items = array.tolist()
        if items and all(isinstance(v, str) for v in items):
            return _strings_to_ns(items, name)
        return np.fromiter(
            (_scalar_to_ns(v, f"{name}[{i}]") for i, v in enumerate(items)),
            dtype=np.int64,
            count=len(items),
        )
    msg = (
        f"{name} must hold datetimes or ISO-8601 strings; got an array of dtype {array.dtype} "
        "(convert epoch numbers with numpy.datetime64 or pandas.to_datetime and a unit)"
    )
    raise TypeError(msg)


# --------------------------------------------------------------------------------------------
# Values, keys, WHEN
# --------------------------------------------------------------------------------------------


def to_value(value: object, name: str = "value") -> float | None:
    """One value: a real number, or None / NaN for NULL."""
    if value is None:
        return None
    if _is_pandas(value) and type(value).__name__ == "NAType":
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (numbers.Real, np.bool_)):
        msg = f"{name} must be a number or None; got {type(value).__name__}"
        raise TypeError(msg)
    return float(value)


def to_values(values: object, name: str = "values") -> np.ndarray:
    """A float64 array; NaN, None and pandas' NA all become NaN (NULL)."""
    if _is_pandas(values) and hasattr(values, "to_numpy"):
        dtype = getattr(values, "dtype", None)
        if dtype is not None and getattr(dtype, "kind", "O") in "biuf":
            return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)  # type: ignore[attr-defined]
        values = values.to_numpy(dtype=object, na_value=None)  # type: ignore[attr-defined]
    if isinstance(values, (str, bytes)):
        msg = f"{name} must be an array or sequence of numbers; got {type(values).__name__}"
        raise TypeError(msg)
    array = np.asarray(values) if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional; got {array.ndim} dimensions"
        raise ValueError(msg)
    kind = array.dtype.kind
    if kind in "biuf":
        return np.ascontiguousarray(array, dtype=np.float64)
    if kind == "O":
        out = np.empty(array.shape[0], dtype=np.float64)
        for i, v in enumerate(array.tolist()):
            x = to_value(v, f"{name}[{i}]")
            out[i] = np.nan if x is None else x
        return out
    msg = f"{name} must hold numbers; got an array of dtype {array.dtype}"
    raise TypeError(msg)


def to_keys(keys: object, n: int, name: str = "keys") -> Any:
    """Keys for the core: None (one partition), an int64 array, or a list of str/int/None."""
    if keys is None:
        return None
    if _is_pandas(keys) and hasattr(keys, "to_numpy"):
        dtype = keys.dtype  # type: ignore[attr-defined]
        if getattr(dtype, "kind", "O") in "iu" and not keys.hasnans:  # type: ignore[attr-defined]
            keys = keys.to_numpy()  # type: ignore[attr-defined]
        else:
            keys = keys.to_numpy(dtype=object, na_value=None)  # type: ignore[attr-defined]
    if isinstance(keys, (str, bytes)) or not hasattr(keys, "__len__"):
        msg = f"{name} must be an array or sequence of keys (str, int or None); got {type(keys).__name__}"
        raise TypeError(msg)
    if len(keys) != n:  # type: ignore[arg-type]
        msg = f"{name} has {len(keys)} elements; values has {n}"  # type: ignore[arg-type]
        raise ValueError(msg)
    if isinstance(keys, np.ndarray):
        if keys.ndim != 1:
            msg = f"{name} must be one-dimensional; got {keys.ndim} dimensions"
            raise ValueError(msg)
        if keys.dtype.kind in "iu":
            return keys
        if keys.dtype.kind == "f":
            floats = keys.astype(np.float64)
            finite = ~np.isnan(floats)
            if np.all(floats[finite] == np.trunc(floats[finite])):
                return [int(v) if ok else None for v, ok in zip(floats.tolist(), finite.tolist())]
            msg = f"{name} must be str, int or None; got non-integral floats"
            raise TypeError(msg)
        if keys.dtype.kind in ("U", "O"):
            return keys.tolist()
        msg = f"{name} must hold str, int or None; got an array of dtype {keys.dtype}"
        raise TypeError(msg)
    return list(keys)  # type: ignore[call-overload]


def to_when(when: object, n: int, name: str = "when") -> np.ndarray | None:
    """A boolean array, or None for "all true". NULL (None / NA) counts as false, as in SQL."""
    if when is None:
        return None
    if _is_pandas(when) and hasattr(when, "to_numpy"):
        if when.dtype.kind != "b" and str(when.dtype) != "boolean":  # type: ignore[attr-defined]
            if when.dtype.kind != "O":  # type: ignore[attr-defined]
                msg = f"{name} must be boolean; got dtype {when.dtype}"  # type: ignore[attr-defined]
                raise TypeError(msg)
        when = when.to_numpy(dtype=object, na_value=False)  # type: ignore[attr-defined]
    if isinstance(when, (bool, np.bool_)):
        return np.full(n, bool(when))
    array = when if isinstance(when, np.ndarray) else np.asarray(when, dtype=object)
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional; got {array.ndim} dimensions"
        raise ValueError(msg)
    if array.shape[0] != n:
        msg = f"{name} has {array.shape[0]} elements; values has {n}"
        raise ValueError(msg)
    if array.dtype.kind == "b":
        return np.ascontiguousarray(array, dtype=bool)
    if array.dtype.kind == "O":
        out = np.zeros(n, dtype=bool)
        for i, v in enumerate(array.tolist()):
            if v is None or (_is_pandas(v) and type(v).__name__ == "NAType"):
                continue
            if not isinstance(v, (bool, np.bool_)):
                msg = f"{name}[{i}] must be a bool or None; got {type(v).__name__}"
                raise TypeError(msg)
            out[i] = bool(v)
        return out
    msg = f"{name} must be boolean; got an array of dtype {array.dtype}"
    raise TypeError(msg)
