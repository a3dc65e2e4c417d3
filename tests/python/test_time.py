# SPDX-License-Identifier: MIT
"""Every accepted timestamp and duration form gives the same result as its equivalent."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import streamcp
from streamcp._convert import to_duration_ns, to_time_ns, to_time_ticks, to_times_ns, to_times_ticks

T0_NS = 1574103600 * 10**9  # 2019-11-18T19:00:00Z


@pytest.mark.parametrize(
    ("form", "offset_ns"),
    [
        ("2019-11-18T19:00:00Z", 0),
        ("2019-11-18T19:00:00z", 0),
        ("2019-11-18T19:00:00", 0),
        ("2019-11-18 19:00:00", 0),
        ("2019-11-18T19:00Z", 0),
        ("2019-11-18T20:00:00+01:00", 0),
        ("2019-11-18T20:30:00+0130", 0),
        ("2019-11-18T14:00:00-05:00", 0),
        ("2019-11-18T19:00:00+00", 0),
        ("2019-11-18T19:00:00.5Z", 500_000_000),
        ("2019-11-18T19:00:00,25Z", 250_000_000),
        ("2019-11-18T19:00:00.1234567Z", 123_456_700),
        ("2019-11-18T19:00:00.123456789Z", 123_456_700),  # whole 100 ns ticks
        ("2019-11-18T20:00:00.000000001+01:00", 0),
        ("2019-11-18", -19 * 3600 * 10**9),
        (np.datetime64("2019-11-18T19:00:00"), 0),
        (np.datetime64("2019-11-18T19:00:00.123456789", "ns"), 123_456_700),
        (np.datetime64("2019-11-18T19", "h"), 0),
        (dt.datetime(2019, 11, 18, 19, 0, 0, 250), 250_000),
        (dt.datetime(2019, 11, 18, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))), 0),
        (pd.Timestamp("2019-11-18T19:00:00.000000005"), 0),
        (pd.Timestamp("2019-11-18T20:00:00", tz="Europe/Paris"), 0),
        (pd.Timestamp("2019-11-18T19:00:00", tz="UTC"), 0),
    ],
)
def test_scalar_forms(form, offset_ns) -> None:
    assert to_time_ns(form) == T0_NS + offset_ns


def test_array_forms_agree() -> None:
    base = pd.date_range("2019-11-18T19:00:00", periods=50, freq="10s")
    want = (base.asi8 if base.unit == "ns" else base.as_unit("ns").asi8).astype(np.int64)
    forms = [
        base,
        base.to_numpy(),
        base.to_numpy().astype("datetime64[s]"),
        base.to_numpy().astype("datetime64[ms]"),
        base.to_numpy().astype("datetime64[us]"),
        pd.Series(base),
        base.tz_localize("UTC"),
        base.tz_localize("UTC").tz_convert("Asia/Kolkata"),
        pd.Series(base.tz_localize("UTC").tz_convert("America/New_York")),
        [t.isoformat() + "Z" for t in base],
        [t.tz_localize("UTC").tz_convert("Asia/Kolkata").isoformat() for t in base],
        np.array([t.strftime("%Y-%m-%dT%H:%M:%S+0000") for t in base]),
        pd.Series([t.isoformat() for t in base]),
        [t.to_pydatetime() for t in base],
        list(base.to_numpy()),
        [t.isoformat() if i % 2 else t for i, t in enumerate(base)],  # mixed
    ]
    for i, form in enumerate(forms):
        np.testing.assert_array_equal(to_times_ns(form), want, err_msg=f"form {i}")


def test_tz_aware_and_naive_utc_give_the_same_scores() -> None:
    rng = np.random.default_rng(0)
    times = pd.date_range("2019-11-18T19:00:00", periods=200, freq="10s")
    values = rng.normal(size=200)
    values[100:] += 5
    keys = ["a", "b"] * 100
    want = streamcp.AnomalyDetectionChangePoint(80, 12, "30m").evaluate_many(keys, times, values)
    for form in (
        times.tz_localize("UTC").tz_convert("Australia/Adelaide"),
        [t.isoformat() + "+00:00" for t in times],
        times.to_numpy().astype("datetime64[ms]"),
    ):
        got = streamcp.AnomalyDetectionChangePoint(80, 12, "30m").evaluate_many(keys, form, values)
        np.testing.assert_array_equal(got, want)


def test_fraction_beyond_ticks_is_truncated() -> None:
    """semantics.md#decision-10: 9 fractional digits lose their last two before anything else."""
    f = streamcp.AnomalyDetectionChangePoint(80, 4, "1m")
    f.evaluate("k", "2019-11-18T19:00:00.00000019Z", 1.0)
    # 150 ns is in the same tick as 190 ns (tick 1): not out of order
    assert f.evaluate("k", "2019-11-18T19:00:00.000000150Z", 1.0).included
    with pytest.raises(ValueError, match="out of order"):
        f.evaluate("k", "2019-11-18T19:00:00.000000099Z", 1.0)


@pytest.mark.parametrize(
    "bad",
    [
        "2019-11-18T25:00:00Z",
        "2019-02-30T00:00:00Z",
        "18/11/2019 19:00",
        "2019-11-18T19:00:00+25:00",
        "",
        "now",
    ],
)
def test_unparsable_timestamps(bad: str) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        to_time_ns(bad)
    with pytest.raises(ValueError, match=r"timestamps\[1\]"):
        to_times_ns(["2019-11-18T19:00:00Z", bad])


def test_missing_and_out_of_range_timestamps() -> None:
    with pytest.raises(ValueError, match=r"timestamps\[1\] is missing"):
        to_times_ns(np.array(["2019-11-18", "NaT"], dtype="datetime64[s]"))
    with pytest.raises(ValueError, match=r"timestamps\[0\] is missing"):
        to_times_ns([None])
    with pytest.raises(ValueError, match="out of range"):
        to_times_ns(np.array(["2300-01-01"], dtype="datetime64[D]"))
    with pytest.raises(TypeError, match="timestamp"):
        to_time_ns(1574103600)
    with pytest.raises(TypeError, match="timestamps"):
        to_times_ns(np.arange(3))


# .NET's range in ticks since 1970 (docs/semantics.md#time), beyond int64 nanoseconds' 1677..2262.
FIRST_TICKS = -62_135_596_800 * 10**7  # 0001-01-01T00:00:00Z
LAST_TICKS = 253_402_300_800 * 10**7 - 1  # 9999-12-31T23:59:59.9999999Z


@pytest.mark.parametrize(
    ("form", "ticks"),
    [
        ("0001-01-01T00:00:00Z", FIRST_TICKS),
        ("9999-12-31T23:59:59.9999999Z", LAST_TICKS),
        (dt.datetime(1, 1, 1), FIRST_TICKS),
        (dt.datetime(1, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))), FIRST_TICKS),
        (dt.datetime(9999, 12, 31, 23, 59, 59, 999_999), LAST_TICKS - 9),
        (dt.datetime(9999, 12, 31, 22, 59, tzinfo=dt.timezone(dt.timedelta(hours=-1))), LAST_TICKS + 1 - 60 * 10**7),
        (dt.date(1, 1, 1), FIRST_TICKS),
        (np.datetime64("0001-01-01", "D"), FIRST_TICKS),
        (np.datetime64("0001", "Y"), FIRST_TICKS),
        (np.datetime64("9999-12-31T23:59:59.999999", "us"), LAST_TICKS - 9),
        (np.datetime64("2262-04-12", "s"), 92_233_728_000_000_000),
        (np.datetime64("1677-09-21", "ms"), -92_233_728_000_000_000),
    ],
)
def test_the_whole_dotnet_range(form, ticks) -> None:
    assert to_time_ticks(form) == ticks
    np.testing.assert_array_equal(to_times_ticks([form]), np.array([ticks], dtype=np.int64))


def test_datetime64_arrays_of_us_and_coarser_units_cover_the_range() -> None:
    days = np.array(["0001-01-01", "1677-09-20", "2262-04-12", "9999-12-31"], dtype="datetime64[D]")
    want = (days.astype(np.int64) * 86_400 * 10**7).astype(np.int64)
    for unit in ("D", "h", "m", "s", "ms", "us"):
        np.testing.assert_array_equal(to_times_ticks(days.astype(f"datetime64[{unit}]")), want, err_msg=unit)
    np.testing.assert_array_equal(to_times_ticks(pd.Series(days.astype("datetime64[s]"))), want)


@pytest.mark.parametrize(
    "form",
    [
        "0000-12-31T23:59:59Z",
        "0001-01-01T00:00:00+00:01",
        "9999-12-31T23:59:59-00:01",
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(minutes=1))),
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(minutes=-1))),
        np.datetime64("0000-12-31", "D"),
        np.datetime64("10000-01-01", "D"),
        np.datetime64("-0001", "Y"),
        np.datetime64("10000", "Y"),
    ],
)
def test_outside_the_dotnet_range_is_refused(form) -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_time_ticks(form)
    with pytest.raises(ValueError, match=r"timestamps\[1\] .*out of range"):
        to_times_ticks(["2019-11-18T19:00:00Z", form])


def test_functions_score_far_dates_in_order() -> None:
    times = [dt.datetime(1, 1, 1), dt.datetime(1677, 9, 21), dt.datetime(2262, 4, 12), dt.datetime(9999, 12, 31)]
    keys = ["k"] * 4
    f = streamcp.AnomalyDetectionChangePoint(80, 12, "30m")
    got = f.evaluate_many(keys, times, [1.0, 2.0, 3.0, 4.0])
    assert got["included"].all()
    # The same through datetime64[us] and ISO strings, one at a time.
    g = streamcp.AnomalyDetectionChangePoint(80, 12, "30m")
    for t, v in zip(np.array(times, dtype="datetime64[us]"), [1.0, 2.0, 3.0, 4.0]):
        g.evaluate("k", t, v)
    assert g.snapshot() == f.snapshot()
    with pytest.raises(ValueError, match="out of order"):
        f.evaluate("k", "5000-01-01T00:00:00Z", 1.0)
    # Nanoseconds stop at 2262: to_times_ns says so instead of wrapping.
    with pytest.raises(ValueError, match="out of range for nanoseconds"):
        to_times_ns(times)


@pytest.mark.parametrize(
    ("form", "ns"),
    [
        ("30m", 1800 * 10**9),
        ("30min", 1800 * 10**9),
        ("2h", 7200 * 10**9),
        ("120s", 120 * 10**9),
        ("500ms", 500 * 10**6),
        ("250us", 250_000),
        ("10ns", 10),
        ("1d", 86400 * 10**9),
        ("1.5h", 5400 * 10**9),
        (" 30M ", 1800 * 10**9),
        ("PT30M", 1800 * 10**9),
        ("pt30m", 1800 * 10**9),
        ("PT1H30M", 5400 * 10**9),
        ("P1DT2H", 26 * 3600 * 10**9),
        ("P7D", 7 * 86400 * 10**9),
        ("PT0.5S", 500 * 10**6),
        (dt.timedelta(minutes=30), 1800 * 10**9),
        (dt.timedelta(microseconds=3), 3000),
        (np.timedelta64(30, "m"), 1800 * 10**9),
        (np.timedelta64(1800, "s"), 1800 * 10**9),
        (np.timedelta64(5, "ns"), 5),
        (pd.Timedelta("30min"), 1800 * 10**9),
        (pd.Timedelta(5, "ns"), 5),
    ],
)
def test_duration_forms(form, ns) -> None:
    assert to_duration_ns(form) == ns


def test_duration_forms_give_the_same_function() -> None:
    snaps = set()
    for form in ("30m", "PT30M", dt.timedelta(minutes=30), np.timedelta64(30, "m"), "1800s"):
        f = streamcp.AnomalyDetectionChangePoint(80, 12, form)
        f.evaluate("k", "2019-11-18T19:00:00Z", 1.0)
        snaps.add(f.snapshot())
    assert len(snaps) == 1


@pytest.mark.parametrize("bad", ["30", "m", "P", "PT", "30 minutes", "P1Y", "-30m", "1w"])
def test_bad_duration_strings(bad: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        to_duration_ns(bad)


def test_bad_duration_types() -> None:
    with pytest.raises(TypeError, match="duration"):
        to_duration_ns(30)
    with pytest.raises(TypeError, match="duration"):
        to_duration_ns(None)
    with pytest.raises(ValueError, match="duration"):
        to_duration_ns(np.timedelta64(1, "Y"))
    with pytest.raises(ValueError, match="duration"):
        to_duration_ns(np.timedelta64("NaT"))
    with pytest.raises(ValueError, match="duration"):
        to_duration_ns(dt.timedelta(0))
