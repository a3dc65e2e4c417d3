# SPDX-License-Identifier: MIT
"""Single-series detectors: batch equals stream, NULLs, pickling, errors."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import streamcp


def _series(n: int = 400, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(20.0, 1.0, n)
    x[n // 2 :] += 6.0  # a level shift
    return x


def _make(kind: str):
    if kind == "changepoint":
        return streamcp.ChangePointDetector(90, 16)
    if kind == "mixture":
        return streamcp.ChangePointDetector(90, 16, martingale="mixture")
    return streamcp.SpikeAndDipDetector(95, 16, mode="spikesanddips")


KINDS = ["changepoint", "mixture", "spikeanddip"]


def _rows(det, values) -> list[tuple[float, float, bool]]:
    return [tuple(det.update(v)) for v in values]


def _same(a: np.ndarray, rows: list[tuple[float, float, bool]]) -> None:
    assert len(a) == len(rows)
    for i, (s, p, alert) in enumerate(rows):
        assert (math.isnan(a["score"][i]) and math.isnan(s)) or a["score"][i] == s, i
        assert (math.isnan(a["p_value"][i]) and math.isnan(p)) or a["p_value"][i] == p, i
        assert bool(a["is_anomaly"][i]) == alert, i


@pytest.mark.parametrize("kind", KINDS)
def test_update_many_equals_repeated_update(kind: str) -> None:
    x = _series()
    x[[5, 50, 300]] = np.nan
    batch = _make(kind).update_many(x)
    assert batch.dtype == streamcp.DETECTOR_DTYPE
    assert batch.dtype.names == ("score", "p_value", "is_anomaly")
    assert batch.dtype["score"] == np.float64
    assert batch.dtype["is_anomaly"] == np.bool_
    _same(batch, _rows(_make(kind), x))
    assert batch["is_anomaly"].any()


@pytest.mark.parametrize("kind", KINDS)
def test_update_many_in_chunks_equals_one_batch(kind: str) -> None:
    x = _series()
    whole = _make(kind).update_many(x)
    det = _make(kind)
    parts = np.concatenate([det.update_many(c) for c in np.array_split(x, 7)])
    np.testing.assert_array_equal(parts, whole)


@pytest.mark.parametrize("kind", KINDS)
def test_none_and_nan_are_null_and_change_nothing(kind: str) -> None:
    det = _make(kind)
    det.update_many(_series(30))
    before = det.snapshot()
    for null in (None, math.nan, np.float32("nan")):
        r = det.update(null)
        assert math.isnan(r.score) and math.isnan(r.p_value) and r.is_anomaly is False
    out = det.update_many([None, np.nan, None])
    assert np.isnan(out["score"]).all() and not out["is_anomaly"].any()
    assert det.snapshot() == before


@pytest.mark.parametrize("kind", KINDS)
def test_inputs_of_other_types(kind: str) -> None:
    x = _series(50)
    want = _make(kind).update_many(x)
    np.testing.assert_array_equal(_make(kind).update_many(list(x)), want)
    np.testing.assert_array_equal(_make(kind).update_many(x.astype(object)), want)
    ints = np.arange(40) % 7
    np.testing.assert_array_equal(_make(kind).update_many(ints), _make(kind).update_many(ints.astype(float)))
    np.testing.assert_array_equal(_make(kind).update_many(x[::2]), _make(kind).update_many(x[::2].copy()))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cut", [0, 1, 15, 16, 17, 123, 399])
def test_pickle_round_trip_continues_exactly(kind: str, cut: int) -> None:
    x = _series()
    uninterrupted = _make(kind).update_many(x)
    det = _make(kind)
    first = det.update_many(x[:cut])
    for clone in (pickle.loads(pickle.dumps(det)), copy.deepcopy(det), copy.copy(det)):
        assert type(clone) is type(det)
        assert repr(clone) == repr(det)
        rest = clone.update_many(x[cut:])
        np.testing.assert_array_equal(np.concatenate([first, rest]), uninterrupted)
    # the original is independent of its copies
    np.testing.assert_array_equal(det.update_many(x[cut:]), uninterrupted[cut:])


@pytest.mark.parametrize("kind", KINDS)
def test_snapshot_restore_and_from_snapshot(kind: str) -> None:
    x = _series()
    det = _make(kind)
    det.update_many(x[:100])
    snap = det.snapshot()
    assert isinstance(snap, bytes) and snap[:4] == b"SCPS"
    want = det.update_many(x[100:])
    det.restore(snap)
    np.testing.assert_array_equal(det.update_many(x[100:]), want)
    other = type(det).from_snapshot(snap)
    np.testing.assert_array_equal(other.update_many(x[100:]), want)
    assert other.fill == 16


def test_random_cut_points_pickle() -> None:
    rng = np.random.default_rng(1)
    x = _series(600, seed=3)
    want = streamcp.ChangePointDetector(80, 12).update_many(x)
    for _ in range(10):
        cuts = np.sort(rng.choice(np.arange(1, 600), size=3, replace=False))
        det = streamcp.ChangePointDetector(80, 12)
        got = []
        start = 0
        for cut in [*cuts.tolist(), 600]:
            got.append(det.update_many(x[start:cut]))
            det = pickle.loads(pickle.dumps(det, protocol=pickle.HIGHEST_PROTOCOL))
            start = cut
        np.testing.assert_array_equal(np.concatenate(got), want)


def test_restore_rejects_other_options_and_garbage() -> None:
    a = streamcp.ChangePointDetector(80, 12)
    a.update_many(_series(20))
    b = streamcp.ChangePointDetector(80, 13)
    with pytest.raises(ValueError, match="other options"):
        b.restore(a.snapshot())
    with pytest.raises(ValueError, match="snapshot"):
        a.restore(b"not a snapshot")
    damaged = bytearray(a.snapshot())
    damaged[20] ^= 0xFF
    with pytest.raises(ValueError, match="snapshot"):
        a.restore(bytes(damaged))
    with pytest.raises(ValueError, match="snapshot"):
        streamcp.SpikeAndDipDetector(80, 12).restore(a.snapshot())


def test_properties_and_repr() -> None:
    det = streamcp.ChangePointDetector(95, 4, martingale="mixture", epsilon=0.2)
    assert (det.confidence, det.history, det.martingale, det.epsilon) == (95.0, 4, "mixture", 0.2)
    assert det.fill == 0 and det.threshold > 0
    assert "mixture" in repr(det)
    sd = streamcp.SpikeAndDipDetector(99, 5, "dips")
    assert sd.mode == "dips" and math.isclose(sd.threshold, 0.01)


def test_the_seven_alerts() -> None:
    det = streamcp.ChangePointDetector(95, 4)
    rows = [det.update(v) for v in [5, 5, 5, 5, 5, 5, 5, 5, 7]]
    assert [r.is_anomaly for r in rows] == [False] * 8 + [True]
    assert rows[-1].score == pytest.approx(10298.67, rel=1e-6)
    score, p, alert = rows[-1]
    assert alert is True and p == rows[-1].p_value


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"confidence": 101, "history": 4}, ValueError, "confidence"),
        ({"confidence": -1, "history": 4}, ValueError, "confidence"),
        ({"confidence": float("nan"), "history": 4}, ValueError, "confidence"),
        ({"confidence": "95", "history": 4}, TypeError, "confidence"),
        ({"confidence": 95, "history": 0}, ValueError, "history"),
        ({"confidence": 95, "history": 4.0}, TypeError, "history"),
        ({"confidence": 95, "history": True}, TypeError, "history"),
        ({"confidence": 95, "history": 4, "martingale": "other"}, ValueError, "martingale"),
        ({"confidence": 95, "history": 4, "martingale": 1}, TypeError, "martingale"),
        ({"confidence": 95, "history": 4, "epsilon": 1.0}, ValueError, "epsilon"),
        ({"confidence": 95, "history": 4, "epsilon": 0}, ValueError, "epsilon"),
    ],
)
def test_change_point_argument_errors(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        streamcp.ChangePointDetector(**kwargs)


def test_spike_argument_errors() -> None:
    with pytest.raises(ValueError, match="mode"):
        streamcp.SpikeAndDipDetector(95, 4, mode="up")
    with pytest.raises(TypeError, match="mode"):
        streamcp.SpikeAndDipDetector(95, 4, mode=None)
    with pytest.raises(ValueError, match="history"):
        streamcp.SpikeAndDipDetector(95, -3)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_values_raise_and_change_nothing(kind: str) -> None:
    det = _make(kind)
    det.update_many(_series(40))
    before = det.snapshot()
    for bad in (math.inf, -math.inf, 1e39):
        with pytest.raises(ValueError, match="value"):
            det.update(bad)
        with pytest.raises(ValueError, match="value"):
            det.update_many([1.0, 2.0, bad, 3.0])
    with pytest.raises(TypeError, match="x"):
        det.update("1.5")
    with pytest.raises(TypeError, match="values"):
        det.update_many(["1.5", "2"])
    with pytest.raises(TypeError, match=r"values\[1\]"):
        det.update_many([1.0, "2"])
    with pytest.raises(ValueError, match="one-dimensional"):
        det.update_many(np.zeros((2, 2)))
    assert det.snapshot() == before
    # still usable
    assert len(det.update_many(_series(5))) == 5


def test_empty_batch() -> None:
    out = streamcp.ChangePointDetector(95, 4).update_many([])
    assert out.shape == (0,) and out.dtype == streamcp.DETECTOR_DTYPE


def test_update_many_refusal_names_the_element() -> None:
    det = streamcp.ChangePointDetector(90, 3)
    with pytest.raises(streamcp.BatchError, match=r"values\[2\]: value = inf") as caught:
        det.update_many([2.0, 3.0, np.inf, 4.0])
    assert (caught.value.index, caught.value.field, caught.value.key) == (2, "values", None)
    robust = streamcp.RobustChangePointDetector()
    with pytest.raises(
        streamcp.BatchError, match=r"values\[1\]: value = -inf is out of range: allowed a finite number or NaN"
    ):
        robust.update_many([1.0, -np.inf])
