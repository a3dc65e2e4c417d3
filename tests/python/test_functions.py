# SPDX-License-Identifier: MIT
"""The ASA functions: evaluate_many equals evaluate, partitions, WHEN/NULL, pickling, errors."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import streamcp

START = np.datetime64("2019-11-18T19:00:00", "ns")


def _events(n: int = 600, seed: int = 5):
    """Three interleaved keys (str, int, None), readings about every 10 s with gaps."""
    rng = np.random.default_rng(seed)
    keys = rng.choice(np.array(["dev-1", 7, None, "7"], dtype=object), size=n)
    step = rng.choice([0, 5, 10, 10, 10, 400], size=n).astype("timedelta64[s]")
    times = START + np.cumsum(step).astype("timedelta64[ns]")
    values = rng.normal(20.0, 1.0, n)
    values[n // 2 :] += np.where(keys[n // 2 :] == "dev-1", 8.0, 0.0)
    values[rng.choice(n, 20, replace=False)] = np.nan
    when = rng.random(n) > 0.1
    return keys.tolist(), times, values, when


def _make(kind: str):
    if kind == "changepoint":
        return streamcp.AnomalyDetectionChangePoint(80, 12, "30m")
    return streamcp.AnomalyDetectionSpikeAndDip(90, 12, "spikesanddips", "30m")


KINDS = ["changepoint", "spikeanddip"]


def _assert_rows_equal(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a["is_anomaly"], b["is_anomaly"])
    np.testing.assert_array_equal(a["included"], b["included"])
    np.testing.assert_array_equal(a["score"], b["score"])  # NaN == NaN for assert_array_equal


@pytest.mark.parametrize("kind", KINDS)
def test_evaluate_many_equals_repeated_evaluate(kind: str) -> None:
    keys, times, values, when = _events()
    batch = _make(kind).evaluate_many(keys, times, values, when)
    assert batch.dtype == streamcp.FUNCTION_DTYPE
    assert batch.dtype.names == ("score", "is_anomaly", "included")
    f = _make(kind)
    stream = np.array(
        [tuple(f.evaluate(k, t, v, w)) for k, t, v, w in zip(keys, times, values, when)],
        dtype=streamcp.FUNCTION_DTYPE,
    )
    _assert_rows_equal(batch, stream)
    assert batch["is_anomaly"].any()
    # excluded rows: NULL
    excluded = ~when | np.isnan(values)
    assert not batch["included"][excluded].any() and batch["included"][~excluded].all()
    assert np.isnan(batch["score"][excluded]).all() and not batch["is_anomaly"][excluded].any()


@pytest.mark.parametrize("kind", KINDS)
def test_partitions_are_independent(kind: str) -> None:
    keys, times, values, when = _events()
    together = _make(kind).evaluate_many(keys, times, values, when)
    karr = np.empty(len(keys), dtype=object)
    karr[:] = keys
    for key in ("dev-1", 7, None, "7"):
        mask = np.array([k == key and type(k) is type(key) for k in keys])
        alone = _make(kind).evaluate_many(karr[mask].tolist(), times[mask], values[mask], when[mask])
        _assert_rows_equal(together[mask], alone)


def test_int_and_str_keys_differ() -> None:
    f = streamcp.AnomalyDetectionChangePoint(80, 4, "1m")
    f.evaluate(1, START, 1.0)
    f.evaluate("1", START, 1.0)
    f.evaluate(np.int64(1), START, 1.0)
    assert f.partition_count == 2


def test_integer_key_array_equals_list() -> None:
    _, times, values, _ = _events()
    ints = np.arange(len(values)) % 3
    a = _make("changepoint").evaluate_many(ints, times, values)
    b = _make("changepoint").evaluate_many(ints.tolist(), times, values)
    c = _make("changepoint").evaluate_many(ints.astype(np.uint16), times, values)
    _assert_rows_equal(a, b)
    _assert_rows_equal(a, c)


def test_no_keys_is_one_partition() -> None:
    _, times, values, when = _events()
    a = _make("changepoint").evaluate_many(None, times, values, when)
    b = _make("changepoint").evaluate_many(["k"] * len(values), times, values, when)
    _assert_rows_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cut", [0, 1, 13, 250, 599])
def test_pickle_round_trip_continues_exactly(kind: str, cut: int) -> None:
    keys, times, values, when = _events()
    want = _make(kind).evaluate_many(keys, times, values, when)
    f = _make(kind)
    first = f.evaluate_many(keys[:cut], times[:cut], values[:cut], when[:cut])
    for clone in (pickle.loads(pickle.dumps(f)), copy.deepcopy(f), copy.copy(f)):
        assert repr(clone) == repr(f)
        assert clone.partition_count == f.partition_count
        rest = clone.evaluate_many(keys[cut:], times[cut:], values[cut:], when[cut:])
        _assert_rows_equal(np.concatenate([first, rest]), want)


def test_random_cut_points_pickle() -> None:
    keys, times, values, when = _events(800, seed=11)
    want = _make("changepoint").evaluate_many(keys, times, values, when)
    rng = np.random.default_rng(2)
    for _ in range(8):
        cuts = [*np.sort(rng.choice(np.arange(1, 800), 4, replace=False)).tolist(), 800]
        f = _make("changepoint")
        got, start = [], 0
        for cut in cuts:
            got.append(f.evaluate_many(keys[start:cut], times[start:cut], values[start:cut], when[start:cut]))
            f = pickle.loads(pickle.dumps(f))
            start = cut
        _assert_rows_equal(np.concatenate(got), want)


def test_restore_checks_parameters() -> None:
    a = streamcp.AnomalyDetectionChangePoint(80, 12, "30m")
    a.evaluate("k", START, 1.0)
    with pytest.raises(ValueError, match="other parameters"):
        streamcp.AnomalyDetectionChangePoint(80, 12, "31m").restore(a.snapshot())
    with pytest.raises(ValueError, match="snapshot"):
        streamcp.AnomalyDetectionSpikeAndDip(80, 12, "spikes", "30m").restore(a.snapshot())
    b = streamcp.AnomalyDetectionChangePoint(80, 12, "PT30M")
    b.restore(a.snapshot())
    assert b.partition_count == 1


def test_when_and_null_rules() -> None:
    f = streamcp.AnomalyDetectionChangePoint(80, 4, "40s")
    assert tuple(f.evaluate("k", START, 1.0, when=False)) == (pytest.approx(math.nan, nan_ok=True), False, False)
    assert f.partition_count == 0  # excluded first events create nothing (semantics.md#decision-2)
    r = f.evaluate("k", START, None)
    assert math.isnan(r.score) and not r.included
    r = f.evaluate("k", START, math.nan, when=None)
    assert not r.included
    assert f.partition_count == 0
    assert f.evaluate("k", START, 1.0).included
    # excluded events are never out of order and move no clock
    assert not f.evaluate("k", START - np.timedelta64(1, "h"), 1.0, when=False).included
    out = f.evaluate_many(["k", "k"], [START - np.timedelta64(1, "h"), START], [None, 2.0], [True, None])
    assert out["included"].tolist() == [False, False]


def test_when_forms() -> None:
    keys, times, values, when = _events(100)
    want = _make("changepoint").evaluate_many(keys, times, values, when)
    as_obj = np.array([bool(w) if i % 3 else (None if not w else True) for i, w in enumerate(when)], dtype=object)
    _assert_rows_equal(_make("changepoint").evaluate_many(keys, times, values, as_obj), want)
    _assert_rows_equal(_make("changepoint").evaluate_many(keys, times, values, when.tolist()), want)
    everything = _make("changepoint").evaluate_many(keys, times, values)
    _assert_rows_equal(_make("changepoint").evaluate_many(keys, times, values, True), everything)
    with pytest.raises(TypeError, match="when"):
        _make("changepoint").evaluate_many(keys, times, values, np.ones(100))
    with pytest.raises(TypeError, match="when"):
        _make("changepoint").evaluate("k", START, 1.0, when=1)


def test_imputation_fills_gaps() -> None:
    """A gap of several intervals imputes values (semantics.md#imputation): the score differs from no gap."""
    t = START + np.arange(20) * np.timedelta64(10, "s")
    values = np.r_[np.full(15, 20.0), np.full(5, 30.0)]
    no_gap = streamcp.AnomalyDetectionChangePoint(80, 12, "2m").evaluate_many(None, t, values)
    t_gap = t.copy()
    t_gap[15:] += np.timedelta64(60, "s")
    gap = streamcp.AnomalyDetectionChangePoint(80, 12, "2m").evaluate_many(None, t_gap, values)
    assert not np.array_equal(no_gap["score"][15:], gap["score"][15:])
    np.testing.assert_array_equal(no_gap["score"][:15], gap["score"][:15])


def test_fractional_confidence() -> None:
    a = streamcp.AnomalyDetectionChangePoint(80.9, 12, "30m")
    b = streamcp.AnomalyDetectionChangePoint(80, 12, "30m")
    c = streamcp.AnomalyDetectionChangePoint(80.9, 12, "30m", fractional_confidence=True)
    assert a.threshold == b.threshold != c.threshold
    assert c.fractional_confidence and not a.fractional_confidence


def test_properties_and_repr() -> None:
    f = streamcp.AnomalyDetectionSpikeAndDip(95, 10, "dips", "PT5M")
    assert (f.confidence, f.history, f.mode) == (95.0, 10, "dips")
    assert f.duration == np.timedelta64(5, "m")
    assert "dips" in repr(f)


def test_evict_idle_and_idle_ttl() -> None:
    f = streamcp.AnomalyDetectionChangePoint(80, 4, "1m")
    f.evaluate("a", START, 1.0)
    f.evaluate("b", START + np.timedelta64(10, "m"), 1.0)
    assert f.evict_idle(START + np.timedelta64(10, "m"), "5m") == 1
    assert f.partition_count == 1
    g = streamcp.AnomalyDetectionChangePoint(80, 4, "1m", idle_ttl="5m")
    g.evaluate("a", START, 1.0)
    g.evaluate("b", START + np.timedelta64(10, "m"), 1.0)
    assert g.partition_count == 1


# ------------------------------------------------------------------------------------------
# Errors: the message names the argument; the object is unchanged and still usable.
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((0.5, 12, "30m"), ValueError, "confidence"),
        ((101, 12, "30m"), ValueError, "confidence"),
        (("80", 12, "30m"), TypeError, "confidence"),
        ((80, 0, "30m"), ValueError, "history"),
        ((80, 12.5, "30m"), TypeError, "history"),
        ((80, 12, "8d"), ValueError, "duration"),
        ((80, 12, "0s"), ValueError, "duration"),
        ((80, 12, "-5m"), ValueError, "duration"),
        ((80, 12, "thirty minutes"), ValueError, "duration"),
        ((80, 12, 1800), TypeError, "duration"),
        ((80, 12, "30m", "yes"), TypeError, "fractional_confidence"),
    ],
)
def test_constructor_errors(args, error, match) -> None:
    with pytest.raises(error, match=match):
        streamcp.AnomalyDetectionChangePoint(*args)


def test_spike_constructor_errors() -> None:
    with pytest.raises(ValueError, match="mode"):
        streamcp.AnomalyDetectionSpikeAndDip(80, 12, "sideways", "30m")
    with pytest.raises(ValueError, match="duration"):
        streamcp.AnomalyDetectionSpikeAndDip(80, 12, "spikes", "7d1s" if False else "P8D")


def _primed():
    f = streamcp.AnomalyDetectionChangePoint(80, 4, "1m")
    f.evaluate_many(["a", "b", "a"], START + np.array([0, 10, 20], "timedelta64[s]"), [1.0, 2.0, 3.0])
    return f


def test_out_of_order_names_the_key_and_index() -> None:
    f = _primed()
    before = f.snapshot()
    t = START + np.array([30, 40, 5, 50], "timedelta64[s]")
    # The gap is in seconds, not in .NET ticks: 'a' was last at 30 s.
    with pytest.raises(ValueError, match=r"timestamps\[2\] \(key 'a'\).*out of order: 25 s earlier"):
        f.evaluate_many(["a", "b", "a", "b"], t, [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"timestamps\[1\] \(key 7\).*out of order: 10 s earlier"):
        f.evaluate_many([7, 7], START + np.array([50, 40], "timedelta64[s]"), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"key 'b'.*out of order: 10\.0000001 s earlier"):
        f.evaluate("b", START - np.timedelta64(100, "ns"), 1.0)
    assert f.snapshot() == before
    # usable afterwards, and an excluded out-of-order event is fine
    out = f.evaluate_many(["a", "a"], START + np.array([30, 5], "timedelta64[s]"), [1.0, None])
    assert out["included"].tolist() == [True, False]


def test_bad_values_name_the_index() -> None:
    f = _primed()
    before = f.snapshot()
    with pytest.raises(ValueError, match=r"values\[1\] \(key 'b'\): value = inf"):
        f.evaluate_many(["a", "b"], [START + np.timedelta64(60, "s")] * 2, [1.0, math.inf])
    with pytest.raises(ValueError, match="value"):
        f.evaluate("a", START + np.timedelta64(60, "s"), -math.inf)
    with pytest.raises(TypeError, match="value"):
        f.evaluate("a", START + np.timedelta64(60, "s"), "3")
    with pytest.raises(TypeError, match=r"values\[0\]"):
        f.evaluate_many(["a"], [START], ["3"])
    assert f.snapshot() == before


def test_mismatched_lengths_and_bad_keys() -> None:
    f = _primed()
    before = f.snapshot()
    t = [START] * 3
    with pytest.raises(ValueError, match="timestamps has 3 elements; values has 2"):
        f.evaluate_many(["a", "b"], t, [1.0, 2.0])
    with pytest.raises(ValueError, match="keys has 1 elements; values has 3"):
        f.evaluate_many(["a"], t, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="when has 2 elements; values has 3"):
        f.evaluate_many(["a"] * 3, t, [1.0, 2.0, 3.0], [True, True])
    with pytest.raises(TypeError, match=r"keys\[1\] must be a str, an int or None"):
        f.evaluate_many(["a", 1.5, "c"], t, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="key must be a str, an int or None"):
        f.evaluate(b"a", START, 1.0)
    with pytest.raises(TypeError, match="key must be a str, an int or None"):
        f.evaluate(True, START, 1.0)
    with pytest.raises(ValueError, match="int64"):
        f.evaluate(2**70, START, 1.0)
    with pytest.raises(ValueError, match=r"timestamps\[1\]"):
        f.evaluate_many(["a"] * 3, ["2019-11-18T19:00:00Z", "yesterday", "2019-11-18T19:00:00Z"], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="timestamps"):
        f.evaluate_many(["a"] * 3, [1, 2, 3], [1.0, 2.0, 3.0])
    assert f.snapshot() == before
