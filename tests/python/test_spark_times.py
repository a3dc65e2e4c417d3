# SPDX-License-Identifier: MIT
"""streamcp.spark's reading of event times, without Spark: rows whose instant int64 nanoseconds
cannot hold are refused as time_out_of_range, never wrapped (docs/spark.md#event-time-range)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from streamcp.spark import _read_times

# 9999-12-31T00:00:00Z and 0001-01-01T00:00:00Z in microseconds since 1970 (Spark's unit).
FAR_FUTURE_US = 253_402_214_400_000_000
FAR_PAST_US = -62_135_596_800_000_000


def test_timestamp_columns_beyond_nanoseconds_are_refused_not_wrapped() -> None:
    column = pd.Series([1_574_103_600_000_000, FAR_FUTURE_US, None, FAR_PAST_US], dtype="Int64")
    reasons = np.full(len(column), None, dtype=object)
    times = _read_times(column, SimpleNamespace(time_is_string=False), reasons)
    assert list(reasons) == [None, "time_out_of_range", "missing_timestamp", "time_out_of_range"]
    assert times[0] == 1_574_103_600_000_000_000


def test_time_texts_beyond_nanoseconds_are_refused_apart_from_bad_ones() -> None:
    column = pd.Series(["2019-11-18T19:00:00Z", "9999-12-31T00:00:00Z", "not a time", "1500-01-01T00:00:00Z"])
    reasons = np.full(len(column), None, dtype=object)
    times = _read_times(column, SimpleNamespace(time_is_string=True), reasons)
    assert list(reasons) == [None, "time_out_of_range", "bad_timestamp", "time_out_of_range"]
    assert times[0] == 1_574_103_600_000_000_000
