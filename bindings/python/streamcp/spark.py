# SPDX-License-Identifier: MIT
"""Apache Spark: the seed's job on a cluster, row for row what ``streamcp detect`` writes.

>>> import streamcp.spark
>>> scored = streamcp.spark.detect(df, value="temp", timestamp="datetime", partition_by="device",
...                                confidence=80, history=12, duration="30m", order_by="offset")
>>> scored.where("IsAnomaly = 1")

The rows are shuffled by partition key and sorted by (key, arrival order: ``order_by``); a
Python worker reads a whole partition with the CLI's field rules, passes every key through the
CLI's per-key ordering stage and scores them all with one
:meth:`streamcp.AnomalyDetectionChangePoint.evaluate_many`. ``detect_stream`` does the same on a streaming
DataFrame with ``applyInPandasWithState``; the state of a key is the function's snapshot bytes
plus the events the ordering stage holds. docs/spark.md describes both.
"""

from __future__ import annotations

import inspect
import io
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from ._convert import to_duration_ns, to_time_ns, to_time_ticks, to_times_ns
from ._functions import AnomalyDetectionChangePoint
from ._order import order_key, order_keys

__all__ = ["OUTPUT_COLUMNS", "RECORD_ID_HEADER", "STATE_VERSION", "detect", "detect_stream", "flush_stream", "rejects", "to_kafka"]

#: The columns ``detect`` adds (replacing input columns of these names).
OUTPUT_COLUMNS = ("Score", "IsAnomaly", "RejectReason")
#: The layout of ``detect_stream``'s per-key state; a checkpoint of another layout is refused.
STATE_VERSION = 1

#: The Kafka header carrying the record id, as the native Kafka sink sets it (docs/adapters.md).
RECORD_ID_HEADER = "streamcp-record-id"

_HIDDEN = "__streamcp_"
_WATERMARK = _HIDDEN + "event_time"
# A JSON number, as the CLI reads one; a string value column holds numbers as such text.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
# Values at or beyond float32's rounding boundary overflow it (docs/semantics.md#decision-4).
_FLOAT32_OVERFLOW = float.fromhex("0x1.ffffffp+127")


@dataclass(frozen=True)
class _Query:
    """Everything a Python worker needs to score a group; pickled to the executors."""

    value: str
    timestamp: str
    partition_by: str | None
    when: str | None
    order_by: tuple[str, ...]
    confidence: float
    history: int
    duration_ns: int
    tolerance_ns: int
    drop: bool
    fractional_confidence: bool
    time_is_string: bool
    value_is_string: bool
    key_is_valid_type: bool
    #: Timestamp columns travel as microseconds since the epoch (no session time zone).
    timestamp_columns: tuple[str, ...]
    output_columns: tuple[str, ...] = field(default=())

    def function(self) -> AnomalyDetectionChangePoint:
        return AnomalyDetectionChangePoint(
            self.confidence, self.history, self.duration_ns * np.timedelta64(1, "ns"), self.fractional_confidence
        )


# --------------------------------------------------------------------------------------------
# Reading rows with the CLI's field rules
# --------------------------------------------------------------------------------------------


#: The instants int64 nanoseconds reach, in microseconds (Spark's timestamp unit).
_NS_MICROS = (-(2**63) // 1000 + 1, (2**63 - 1) // 1000)


def _time_reason(text: object) -> str:
    """Why a time text has no nanoseconds: it does not parse, or it parses beyond 1677..2262."""
    try:
        to_time_ticks(text)
    except (ValueError, TypeError):
        return "bad_timestamp"
    return "time_out_of_range"


def _read_times(column: pd.Series, query: _Query, reasons: np.ndarray) -> np.ndarray:
    """Event times in ns; rows without one get missing_timestamp / bad_timestamp."""
    n = len(column)
    times = np.zeros(n, dtype=np.int64)
    missing = column.isna().to_numpy()
    reasons[missing & (reasons == None)] = "missing_timestamp"  # noqa: E711 (elementwise)
    present = ~missing
    if not query.time_is_string:
        micros = column.to_numpy()[present].astype(np.int64)
        # Spark's instants reach years 1..9999, this module's nanoseconds 1677..2262: a time
        # beyond them is refused, never wrapped (docs/spark.md#event-time-range).
        beyond = (micros < _NS_MICROS[0]) | (micros > _NS_MICROS[1])
        times[present] = np.where(beyond, 0, micros) * 1000
        beyond_rows = np.flatnonzero(present)[beyond]
        reasons[beyond_rows[reasons[beyond_rows] == None]] = "time_out_of_range"  # noqa: E711
        return times
    texts = column.to_numpy(dtype=object)[present]
    try:
        times[present] = to_times_ns(texts.tolist())
    except (ValueError, TypeError):
        # Some row does not parse: read them one by one so that only it is rejected.
        parsed = np.zeros(len(texts), dtype=np.int64)
        why = np.full(len(texts), None, dtype=object)
        for i, text in enumerate(texts):
            try:
                parsed[i] = to_time_ns(text)
            except (ValueError, TypeError):
                why[i] = _time_reason(text)
        times[present] = parsed
        for reason in ("bad_timestamp", "time_out_of_range"):
            rows = np.flatnonzero(present)[why == reason]
            reasons[rows[reasons[rows] == None]] = reason  # noqa: E711
    return times


def _read_values(column: pd.Series, query: _Query, reasons: np.ndarray) -> np.ndarray:
    """Values as float64 with NaN for NULL; bad_value / value_out_of_range otherwise."""
    if query.value_is_string:
        values = np.full(len(column), np.nan)
        for i, text in enumerate(column.to_numpy(dtype=object, na_value=None)):
            if text is None:
                continue
            if _JSON_NUMBER.fullmatch(text):
                values[i] = float(text)
            elif reasons[i] is None:
                reasons[i] = "bad_value"
    else:
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out_of_range = np.abs(np.nan_to_num(values, nan=0.0)) >= _FLOAT32_OVERFLOW
    reasons[out_of_range & (reasons == None)] = "value_out_of_range"  # noqa: E711
    return values


def _read(pdf: pd.DataFrame, query: _Query) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times ns, values, reject reason or None) per row, checked in the CLI's order."""
    reasons = np.full(len(pdf), None, dtype=object)
    times = _read_times(pdf[query.timestamp], query, reasons)
    values = _read_values(pdf[query.value], query, reasons)
    if query.partition_by is not None and not query.key_is_valid_type:
        keyed = pdf[query.partition_by].notna().to_numpy()
        reasons[keyed & (reasons == None)] = "bad_partition_key"  # noqa: E711
    return times, values, reasons


def _when_flags(pdf: pd.DataFrame, query: _Query) -> np.ndarray | None:
    if query.when is None:
        return None
    return pdf[query.when].to_numpy(dtype=object) == True  # noqa: E712 (NULL is not true)


# --------------------------------------------------------------------------------------------
# One key: ordering stage, function, output rows
# --------------------------------------------------------------------------------------------


@dataclass
class _KeyResult:
    #: The output rows: every input column plus Score, IsAnomaly and RejectReason.
    output: pd.DataFrame
    held: pd.DataFrame
    latest: int | None


def _output_frame(
    rows: pd.DataFrame, take: np.ndarray, score: np.ndarray, alert: np.ndarray, reason: np.ndarray, query: _Query
) -> pd.DataFrame:
    """The output columns in one construction (adding columns one by one costs more than the
    scoring for small groups). Arrow-backed strings (pandas 3) become objects: PySpark's
    conversion back to Arrow rejects the chunked arrays pandas builds for them."""
    columns: dict[str, Any] = {}
    for name in query.output_columns[:-3]:
        column = rows[name]
        if isinstance(column.dtype, (pd.StringDtype, pd.ArrowDtype)):
            columns[name] = column.to_numpy(dtype=object, na_value=None)[take]
        else:
            columns[name] = column.to_numpy()[take] if column.dtype.kind in "biufM" else column.array.take(take)
    columns["Score"] = score
    columns["IsAnomaly"] = pd.arrays.IntegerArray(np.nan_to_num(alert).astype(np.int64), np.isnan(alert))
    columns["RejectReason"] = reason
    return pd.DataFrame(columns, copy=False)


def _score_key(
    function: AnomalyDetectionChangePoint,
    held: pd.DataFrame,
    arrived: pd.DataFrame,
    latest: int | None,
    query: _Query,
    *,
    flush: bool,
) -> _KeyResult:
    """Feeds one key's held rows and newly arrived rows (arrival order) through the ordering
    stage and the function; returns the output rows, the rows still held and the key's latest
    time."""
    rows = pd.concat([held, arrived], ignore_index=True) if len(held) else arrived.reset_index(drop=True)
    times, values, reasons = _read(rows, query)
    good_rows = np.flatnonzero(reasons == None)  # noqa: E711 (held rows were all good)
    n_held = len(held)
    ordered = order_key(
        times[good_rows[:n_held]], times[good_rows[n_held:]], latest=latest,
        tolerance_ns=query.tolerance_ns, drop=query.drop, flush=flush,
    )
    released = good_rows[ordered.released]
    when = _when_flags(rows, query)
    result = function.evaluate_many(
        None,
        ordered.times[ordered.released].view("datetime64[ns]"),
        values[released],
        None if when is None else when[released],
    )
    dropped = good_rows[np.flatnonzero(ordered.dropped)]
    rejected = np.flatnonzero(reasons != None)  # noqa: E711
    unscored = len(dropped) + len(rejected)
    take = np.concatenate([released, dropped, rejected])
    score = np.concatenate([np.where(np.isfinite(result["score"]), result["score"], np.nan), np.full(unscored, np.nan)])
    alert = np.concatenate([np.where(result["included"], result["is_anomaly"], np.nan), np.full(unscored, np.nan)])
    reason = np.concatenate([np.full(len(released), None, dtype=object),
                             np.full(len(dropped), "out_of_order", dtype=object), reasons[rejected]])
    output = _output_frame(rows, take, score, alert, reason, query)
    return _KeyResult(output, rows.iloc[good_rows[ordered.held]].reset_index(drop=True), ordered.latest)


def _arrival_order(pdf: pd.DataFrame, query: _Query) -> pd.DataFrame:
    """Spark hands a group's rows in no particular order; the CLI reads them in arrival order."""
    if query.order_by:
        return pdf.sort_values(list(query.order_by), kind="stable", na_position="first").reset_index(drop=True)
    # Without an arrival order the rows go in event-time order (rows without a time first).
    reasons = np.full(len(pdf), None, dtype=object)
    times = _read_times(pdf[query.timestamp], query, reasons)
    order = np.lexsort((times, reasons == None))  # noqa: E711
    return pdf.iloc[order].reset_index(drop=True)


def _segments(keys: pd.Series, query: _Query) -> np.ndarray:
    """One code per row, equal for equal keys (null included); rows of a key are contiguous."""
    if not query.key_is_valid_type:
        # Every row with a key of another type is rejected; only the NULL key is scored.
        return keys.notna().to_numpy().astype(np.int64)
    return pd.factorize(keys, use_na_sentinel=False)[0].astype(np.int64)


def _score_keys(rows: Any, query: _Query, *, held_only: bool = False) -> Any:
    """Scores whole keys at once: ``rows`` (an Arrow table) holds every row of each of its keys,
    the rows of a key contiguous and in arrival order (by ``order_by``; else any order). One
    ordering-stage pass and one ``evaluate_many`` for all the keys: no Python step per key. Only
    the columns the query reads become pandas; the others pass through as Arrow.

    ``held_only`` keeps only the rows the ordering stage still holds after each key's last
    arrival (what the end of the input releases)."""
    import pyarrow as pa  # noqa: PLC0415

    read = dict.fromkeys(c for c in (query.timestamp, query.value, query.partition_by, query.when) if c)
    pdf = pd.DataFrame({name: rows.column(name).to_pandas() for name in read})
    key = query.partition_by
    segments = np.zeros(len(pdf), np.int64) if key is None else _segments(pdf[key], query)
    times, values, reasons = _read(pdf, query)
    good = reasons == None  # noqa: E711 (elementwise)
    if not query.order_by:
        # Without an arrival order a key's rows go in event-time order (rejected rows first).
        order = np.lexsort((times, good, segments))
        rows, pdf, segments, times, values, reasons, good = (
            rows.take(pa.array(order)), pdf.iloc[order].reset_index(drop=True), segments[order],
            times[order], values[order], reasons[order], good[order])
    good_rows = np.flatnonzero(good)
    ordered = order_keys(
        segments[good_rows], times[good_rows], tolerance_ns=query.tolerance_ns, drop=query.drop)
    released = good_rows[ordered.released]
    when = _when_flags(pdf, query)
    result = query.function().evaluate_many(
        segments[released],
        ordered.times[ordered.released].view("datetime64[ns]"),
        values[released],
        None if when is None else when[released],
    )
    n = len(pdf)
    score = np.full(n, np.nan)
    alert = np.full(n, np.nan)
    score[released] = np.where(np.isfinite(result["score"]), result["score"], np.nan)
    alert[released] = np.where(result["included"], result["is_anomaly"], np.nan)
    reasons[good_rows[ordered.dropped]] = "out_of_order"
    if held_only:
        take = good_rows[ordered.held_at_end]
        rows, score, alert, reasons = rows.take(pa.array(take)), score[take], alert[take], reasons[take]
    missing = np.isnan(alert)
    return pa.Table.from_arrays(
        [
            *(rows.column(name) for name in query.output_columns[:-3]),
            pa.array(score, type=pa.float64(), mask=np.isnan(score)),
            pa.array(np.where(missing, 0, alert).astype(np.int64), type=pa.int64(), mask=missing),
            pa.array(reasons, type=pa.string()),
        ],
        names=list(query.output_columns),
    )


def _partition_scorer(
    query: _Query, *, held_only: bool = False
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """``mapInArrow`` over a partition sorted by (key, arrival order): scores its keys a batch
    at a time. The last key of a batch may go on in the next, so its rows wait for it."""

    def score(batches: list[Any]) -> Iterator[Any]:
        import pyarrow as pa  # noqa: PLC0415

        rows = pa.Table.from_batches(batches).combine_chunks()
        yield from _score_keys(rows, query, held_only=held_only).to_batches()

    def score_partition(batches: Iterator[Any]) -> Iterator[Any]:
        waiting: list[Any] = []
        for batch in batches:
            if batch.num_rows == 0:
                continue
            last_key = 0
            if query.partition_by is not None:
                segments = _segments(batch.column(query.partition_by).to_pandas(), query)
                last_key = int(np.searchsorted(segments, segments[-1]))
            if last_key == 0:
                waiting.append(batch)
                continue
            # Every key before the batch's last one is complete (the waiting rows' key too).
            yield from score([*waiting, batch.slice(0, last_key)])
            waiting = [batch.slice(last_key)]
        if waiting:
            yield from score(waiting)

    return score_partition


def _arranged(prepared: Any, query: _Query) -> Any:
    """The rows partitioned by key and sorted by (key, arrival order) within each partition."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415

    order = [F.col(name).asc_nulls_first() for name in query.order_by]
    if query.partition_by is None:
        return prepared.repartition(1).sortWithinPartitions(*order) if order else prepared.repartition(1)
    key = F.col(query.partition_by)
    return prepared.repartition(key).sortWithinPartitions(key.asc_nulls_first(), *order)


# --------------------------------------------------------------------------------------------
# Spark side: argument checks, schemas, the plans
# --------------------------------------------------------------------------------------------


def _types() -> Any:
    from pyspark.sql import types  # noqa: PLC0415 (pyspark is the optional extra)

    return types


def _field(df: Any, name: Any, what: str) -> Any:
    if not isinstance(name, str):
        msg = f"{what} must name one column of the DataFrame; got {type(name).__name__}"
        raise TypeError(msg)
    for candidate in df.schema.fields:
        if candidate.name == name:
            return candidate
    msg = f"{what} = {name!r} is not a column of the DataFrame (columns: {df.columns!r})"
    raise ValueError(msg)


def _prepare(
    df: Any,
    *,
    value: str,
    timestamp: str,
    partition_by: str | None,
    when: str | None,
    order_by: Any,
    confidence: float,
    history: int,
    duration: Any,
    out_of_order_tolerance: Any,
    out_of_order_action: str,
    fractional_confidence: bool,
) -> tuple[Any, _Query, Any]:
    """Checks the arguments on the driver and returns (prepared frame, query, output schema)."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415

    T = _types()  # noqa: N806
    # The function checks confidence, history and duration and names the bad one.
    duration_ns = to_duration_ns(duration)
    AnomalyDetectionChangePoint(confidence, history, duration_ns * np.timedelta64(1, "ns"), fractional_confidence)
    tolerance_ns = to_duration_ns(out_of_order_tolerance, "out_of_order_tolerance", allow_zero=True)
    if out_of_order_action not in ("adjust", "drop"):
        msg = f"out_of_order_action = {out_of_order_action!r} is invalid: allowed 'adjust', 'drop'"
        raise ValueError(msg)

    time_type = _field(df, timestamp, "timestamp").dataType
    if not isinstance(time_type, (T.TimestampType, T.StringType)):
        msg = f"timestamp column {timestamp!r} is {time_type.simpleString()}: allowed timestamp or string (ISO-8601)"
        raise TypeError(msg)
    value_type = _field(df, value, "value").dataType
    if not isinstance(value_type, (T.NumericType, T.StringType)):
        msg = f"value column {value!r} is {value_type.simpleString()}: allowed a number type or string"
        raise TypeError(msg)
    key_ok = True
    if partition_by is not None:
        key_type = _field(df, partition_by, "partition_by").dataType
        key_ok = isinstance(key_type, (T.StringType, T.ByteType, T.ShortType, T.IntegerType, T.LongType))
    if when is not None and not isinstance(_field(df, when, "when").dataType, T.BooleanType):
        msg = f"when column {when!r} must be boolean"
        raise TypeError(msg)
    order_columns = (order_by,) if isinstance(order_by, str) or order_by is None else tuple(order_by)
    for name in order_columns:
        if name is not None:
            _field(df, name, "order_by")

    kept = [f for f in df.schema.fields if f.name not in OUTPUT_COLUMNS]
    timestamp_columns = tuple(f.name for f in df.schema.fields if isinstance(f.dataType, T.TimestampType))
    prepared = df.select(
        *[
            F.unix_micros(F.col(f.name)).alias(f.name) if f.name in timestamp_columns else F.col(f.name)
            for f in df.schema.fields
        ]
    )
    worker_fields = [
        T.StructField(f.name, T.LongType(), True) if f.name in timestamp_columns else f for f in kept
    ]
    worker_schema = T.StructType(
        [
            *worker_fields,
            T.StructField("Score", T.DoubleType(), True),
            T.StructField("IsAnomaly", T.LongType(), True),
            T.StructField("RejectReason", T.StringType(), True),
        ]
    )
    query = _Query(
        value=value,
        timestamp=timestamp,
        partition_by=partition_by,
        when=when,
        order_by=tuple(c for c in order_columns if c is not None),
        confidence=float(confidence),
        history=int(history),
        duration_ns=duration_ns,
        tolerance_ns=tolerance_ns,
        drop=out_of_order_action == "drop",
        fractional_confidence=bool(fractional_confidence),
        time_is_string=isinstance(time_type, T.StringType),
        value_is_string=isinstance(value_type, T.StringType),
        key_is_valid_type=key_ok,
        timestamp_columns=timestamp_columns,
        output_columns=tuple(f.name for f in worker_schema.fields),
    )
    return prepared, query, worker_schema


def _restore_timestamps(scored: Any, query: _Query) -> Any:
    from pyspark.sql import functions as F  # noqa: N812, PLC0415

    return scored.select(
        *[
            F.timestamp_micros(F.col(name)).alias(name) if name in query.timestamp_columns else F.col(name)
            for name in query.output_columns
        ]
    )


def detect(
    df: Any,
    *,
    value: str,
    timestamp: str,
    partition_by: str | None = None,
    confidence: float,
    history: int,
    duration: Any,
    when: str | None = None,
    order_by: str | list[str] | None = None,
    out_of_order_tolerance: Any = "0s",
    out_of_order_action: str = "adjust",
    fractional_confidence: bool = False,
) -> Any:
    """Scores a (batch) DataFrame as ``streamcp detect`` scores the same events.

    Args:
        df: the events, one per row.
        value: the column to score: a number type (null and NaN are NULL), or strings holding
            JSON numbers (other text is the reject ``bad_value``).
        timestamp: the event time: a Spark timestamp (an instant; the session time zone plays
            no part) or ISO-8601 strings read with the package's timestamp grammar.
        partition_by: the key column (string or integer type; null is the NULL key; keys of any
            other type are rejected as ``bad_partition_key``), or None for one series.
        confidence, history, duration, fractional_confidence: as
            :class:`streamcp.AnomalyDetectionChangePoint`.
        when: a boolean column; rows where it is false or null get NULL outputs.
        order_by: the arrival order: a column, or columns sorted together (a Kafka partition's
            offset; a file name and a line number), ascending within each key. Without it rows go in event-time order and ties are unordered.
        out_of_order_tolerance, out_of_order_action: the CLI's ``--out-of-order-tolerance``
            and ``--out-of-order-action`` (``"adjust"`` or ``"drop"``), applied per key.

    Returns:
        Every input column (input columns named like the outputs are replaced) plus ``Score``
        (double, null = NULL), ``IsAnomaly`` (long, null = NULL) and ``RejectReason`` (string,
        the CLI's reject reason; null for rows that were scored).
    """
    prepared, query, schema = _prepare(
        df,
        value=value,
        timestamp=timestamp,
        partition_by=partition_by,
        when=when,
        order_by=order_by,
        confidence=confidence,
        history=history,
        duration=duration,
        out_of_order_tolerance=out_of_order_tolerance,
        out_of_order_action=out_of_order_action,
        fractional_confidence=fractional_confidence,
    )
    scored = _arranged(prepared, query).mapInArrow(_partition_scorer(query), schema)
    return _restore_timestamps(scored, query)


def _prepare_as_detect(caller: str, df: Any, options: dict[str, Any]) -> tuple[Any, _Query, Any]:
    """``_prepare`` for functions that take :func:`detect`'s arguments as ``**options``: its
    signature names a missing or unknown argument and supplies the defaults, kept in one place."""
    try:
        arguments = inspect.signature(detect).bind(df, **options)
    except TypeError as error:
        msg = f"{caller}: {error} (it takes the arguments of streamcp.spark.detect)"
        raise TypeError(msg) from None
    arguments.apply_defaults()
    return _prepare(**arguments.arguments)


def rejects(scored: Any) -> Any:
    """The rows of a ``detect`` / ``detect_stream`` result that were rejected."""
    return scored.where(scored["RejectReason"].isNotNull())


# --------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------


def _state_schema() -> Any:
    T = _types()  # noqa: N806
    return T.StructType(
        [
            T.StructField("version", T.IntegerType(), False),
            T.StructField("snapshot", T.BinaryType(), False),
            T.StructField("latest", T.LongType(), True),
            T.StructField("held", T.BinaryType(), True),
        ]
    )


def _rows_to_bytes(rows: pd.DataFrame) -> bytes:
    import pyarrow as pa  # noqa: PLC0415

    sink = io.BytesIO()
    table = pa.Table.from_pandas(rows, preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _rows_from_bytes(data: bytes) -> pd.DataFrame:
    import pyarrow as pa  # noqa: PLC0415

    return pa.ipc.open_stream(data).read_all().to_pandas()


def _restore_key(
    function: AnomalyDetectionChangePoint, version: int, snapshot: bytes, latest: Any, held: bytes | None
) -> tuple[pd.DataFrame | None, int | None]:
    """Loads one key's state into ``function``; returns its held rows and latest time."""
    if version != STATE_VERSION:
        msg = f"the checkpoint's streamcp state has layout {version}; this streamcp reads {STATE_VERSION}"
        raise ValueError(msg)
    function.restore(bytes(snapshot))
    return (_rows_from_bytes(bytes(held)) if held else None), (None if pd.isna(latest) else int(latest))


def _stream_scorer(query: _Query) -> Callable[[Any, Iterator[pd.DataFrame], Any], Iterator[pd.DataFrame]]:
    def score_key(key: Any, batches: Iterator[pd.DataFrame], state: Any) -> Iterator[pd.DataFrame]:
        function = query.function()
        held: pd.DataFrame | None = None
        latest: int | None = None
        if state.exists:
            held, latest = _restore_key(function, *state.get)
        timed_out = state.hasTimedOut
        arrived = pd.concat(list(batches), ignore_index=True) if not timed_out else None
        if arrived is None or len(arrived) == 0:
            arrived = held.iloc[:0] if held is not None else pd.DataFrame()
        else:
            arrived = _arrival_order(arrived, query)
        if held is None:
            held = arrived.iloc[:0]
        result = _score_key(function, held, arrived, latest, query, flush=timed_out)
        latest = result.latest
        if timed_out and len(held) and latest is not None:
            # Rows older than what the timeout released are late from now on, so the times the
            # function sees stay nondecreasing.
            latest = max(latest, int(_read(held, query)[0].max()) + query.tolerance_ns)
        still_held = result.held
        state.update(
            (STATE_VERSION, function.snapshot(), latest, _rows_to_bytes(still_held) if len(still_held) else None)
        )
        if len(still_held):
            newest_ms = int(np.ceil(_read(still_held, query)[0].max() / 1e6))
            state.setTimeoutTimestamp(max(newest_ms, state.getCurrentWatermarkMs() + 1))
        if len(result.output):
            yield result.output

    return score_key


def detect_stream(df: Any, *, watermark_delay: Any = None, **options: Any) -> Any:
    """Scores a streaming DataFrame per key with ``applyInPandasWithState`` (append mode).

    Arguments as :func:`detect`. ``order_by`` orders the rows of a key within a micro-batch;
    micro-batches follow each other in arrival order. The state of a key is the function's
    snapshot plus the rows the ordering stage holds. A key that holds rows is flushed (as at
    the end of the input) when the stream's watermark, the newest event time minus
    ``watermark_delay`` (default: the out-of-order tolerance), passes its newest held row.
    """
    from pyspark.sql import functions as F  # noqa: N812, PLC0415
    from pyspark.sql.streaming.state import GroupStateTimeout  # noqa: PLC0415

    prepared, query, schema = _prepare_as_detect("detect_stream", df, options)
    delay_ns = (
        query.tolerance_ns
        if watermark_delay is None
        else to_duration_ns(watermark_delay, "watermark_delay", allow_zero=True)
    )
    event_time = (
        F.to_timestamp(F.col(query.timestamp))
        if query.time_is_string
        else F.timestamp_micros(F.col(query.timestamp))
    )
    watermarked = prepared.withColumn(_WATERMARK, event_time).withWatermark(
        _WATERMARK, f"{delay_ns // 1000} microseconds"
    )
    key = query.partition_by
    grouped = watermarked.groupBy(key) if key is not None else watermarked.groupBy(F.lit(0))
    scored = grouped.applyInPandasWithState(
        _stream_scorer(query),
        schema,
        _state_schema(),
        "append",
        GroupStateTimeout.EventTimeTimeout,
    )
    return _restore_timestamps(scored, query)


def _flush_scorer(query: _Query) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def flush(states: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in states:
            for version, snapshot, latest, held_bytes in pdf.itertuples(index=False):
                function = query.function()
                held, latest_ns = _restore_key(function, version, snapshot, latest, held_bytes)
                if held is None or len(held) == 0:
                    continue
                result = _score_key(function, held, held.iloc[:0], latest_ns, query, flush=True)
                yield result.output

    return flush


def flush_stream(df: Any, checkpoint_location: str, **query: Any) -> Any:
    """The end of a bounded stream: the rows ``detect_stream`` still holds in its checkpoint,
    scored as ``streamcp detect`` scores its held events at the end of the input.

    Call it after a ``Trigger.AvailableNow`` run of ``detect_stream`` with the same arguments;
    the union of the stream's output and this batch DataFrame is then what ``streamcp detect``
    writes. ``df`` decides how the held rows are found (docs/spark.md#the-end-of-a-bounded-stream):

    - the stream's own streaming DataFrame (Spark >= 4.0): they are read from the checkpoint
      with Spark's state data source;
    - the same bounded input as a batch DataFrame (any Spark version; the way on Spark 3.5,
      which has no state data source): the ordering stage runs over the whole input in batch
      and the rows each key holds after its last arrival are scored. These are the
      checkpoint's held rows as long as no key was flushed by the stream's event-time timeout;
      it costs one batch pass over the input and ignores ``checkpoint_location``.

    The checkpoint is not changed: a stream resumed from it would release these rows again.
    """
    import pyspark  # noqa: PLC0415

    watermark_delay = query.pop("watermark_delay", None)
    del watermark_delay  # the stream's timeouts do not apply to the end of the input
    prepared, prepared_query, schema = _prepare_as_detect("flush_stream", df, query)
    if not df.isStreaming:
        scorer = _partition_scorer(prepared_query, held_only=True)
        held = _arranged(prepared, prepared_query).mapInArrow(scorer, schema)
        return _restore_timestamps(held, prepared_query)
    if int(pyspark.__version__.split(".")[0]) < 4:
        msg = (f"flush_stream on a streaming DataFrame reads the checkpoint with Spark's state data source, "
               f"which needs Spark >= 4.0 (this is {pyspark.__version__}): pass the bounded input as a batch "
               "DataFrame (spark.read instead of spark.readStream) instead")
        raise RuntimeError(msg)
    spark = df.sparkSession
    spark.streams  # noqa: B018 (starts the driver's state store coordinator, which the reader needs)
    # Keys that hold rows have a latest time, so the column stays int64 in pandas.
    states = spark.read.format("statestore").load(checkpoint_location).where(
        "value.groupState.held IS NOT NULL").select(
        "value.groupState.version", "value.groupState.snapshot", "value.groupState.latest",
        "value.groupState.held")
    scored = states.mapInPandas(_flush_scorer(prepared_query), schema)
    return _restore_timestamps(scored, prepared_query)


# --------------------------------------------------------------------------------------------
# Output lines: what `streamcp detect` writes for a row, for Kafka
# --------------------------------------------------------------------------------------------


def _json_number(value: float) -> str:
    """The CLI's number text: the shortest round-trip form, fixed or scientific, whichever is
    shorter (fixed on a tie), and always scientific from 1e15 on (docs/cli.md)."""
    sign, digits, exponent = __import__("decimal").Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + int(exponent)  # digits before the decimal point
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    scientific = f"{mantissa}e{'-' if point - 1 < 0 else '+'}{abs(point - 1):02d}"
    if int(exponent) >= 0:
        fixed = text + "0" * int(exponent)
    elif point > 0:
        fixed = text[:point] + "." + text[point:]
    else:
        fixed = "0." + "0" * -point + text
    minus = "-" if sign else ""
    if value == 0:
        return minus + "0"
    if abs(value) >= 1e15 or len(scientific) < len(fixed):
        return minus + scientific
    return minus + fixed


def _members(obj: str) -> list[tuple[str, str]]:
    """(key, whole member text) of a JSON object's top-level members, in order."""
    import json  # noqa: PLC0415

    decoder = json.JSONDecoder()
    members = []
    pos = obj.index("{") + 1
    while True:
        while obj[pos] in " \t\r\n,":
            pos += 1
        if obj[pos] == "}":
            return members
        key, key_end = decoder.raw_decode(obj, pos)
        value_start = obj.index(":", key_end) + 1
        while obj[value_start] in " \t\r\n":
            value_start += 1
        _, value_end = decoder.raw_decode(obj, value_start)
        members.append((key, obj[pos:value_end]))
        pos = value_end


def _output_line(raw: str, score: Any, is_anomaly: Any) -> str:
    """The line `streamcp detect` writes for the input object ``raw``."""
    added = '"Score":' + ("null" if score is None or not np.isfinite(score) else _json_number(float(score)))
    added += ',"IsAnomaly":' + ("null" if is_anomaly is None or pd.isna(is_anomaly) else str(int(is_anomaly)))
    body = raw.strip(" \t\r\n")
    members = _members(body)
    if not members:
        return "{" + added + "}"
    if not any(key in ("Score", "IsAnomaly") for key, _ in members):
        return body[: body.rindex("}")] + "," + added + "}"
    kept = [whole for key, whole in members if key not in ("Score", "IsAnomaly")]
    return "{" + "".join(m + "," for m in kept) + added + "}"


def to_kafka(scored: Any, *, raw: str, key: str | None = None) -> Any:
    """Kafka records for scored rows: ``value`` is the exact line ``streamcp detect`` writes for
    the row's input object (the column ``raw``: the JSON text as it arrived), ``key`` the
    partition column (as text) and the header ``streamcp-record-id`` the native Kafka sink's
    record id of that line, so consumers can drop duplicates across engines. Rejected rows are
    left out, as the CLI writes them to its rejects. Write the result with
    ``.write.format("kafka")`` or ``.writeStream.format("kafka")``."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415
    from pyspark.sql.functions import pandas_udf  # noqa: PLC0415

    @pandas_udf("string")  # type: ignore[misc]
    def lines(raws: pd.Series, scores: pd.Series, alerts: pd.Series) -> pd.Series:
        return pd.Series(
            [_output_line(r, s, a) for r, s, a in zip(raws, scores.to_numpy(dtype=object, na_value=None),
                                                      alerts.to_numpy(dtype=object, na_value=None))],
            dtype=object,
        )

    scored_rows = scored.where(F.col("RejectReason").isNull())
    line = lines(F.col(raw), F.col("Score"), F.col("IsAnomaly"))
    out = scored_rows.select(
        (F.col(key).cast("string") if key is not None else F.lit(None).cast("string")).alias("key"),
        line.alias("value"),
    )
    record_id = F.substring(F.sha2(F.col("value"), 256), 1, 32)
    return out.select(
        "key",
        "value",
        F.array(F.struct(F.lit(RECORD_ID_HEADER).alias("key"), record_id.cast("binary").alias("value"))).alias(
            "headers"
        ),
    )
