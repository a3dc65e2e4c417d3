# SPDX-License-Identifier: MIT
"""RobustChangePointDetector: snapshots, pickling and the detrend transform."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import streamcp

OPTION_SETS = [
    {},
    {"confidence": 80, "history": 10, "min_history": 5, "difference": True},
    {"min_run": 2},
    {"confidence": 90, "history": 20, "min_history": 5, "detrend": True},
]


def trending_series(seed: int = 3) -> np.ndarray:
    """A trend with a level shift at 150 and a slope change at 300, and a few NULLs."""
    rng = np.random.default_rng(seed)
    t = np.arange(450, dtype=np.float64)
    values = rng.normal(0, 1, t.size) + 0.05 * t + 6.0 * (t >= 150) + 0.3 * np.maximum(t - 300, 0)
    values[::37] = np.nan
    return values


def same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    return all(np.array_equal(a[f], b[f], equal_nan=a[f].dtype.kind == "f") for f in a.dtype.names)


@pytest.mark.parametrize("options", OPTION_SETS)
def test_snapshot_and_pickle_at_random_cuts_equal_uninterrupted(options: dict) -> None:
    values = trending_series()
    expected = streamcp.RobustChangePointDetector(**options).update_many(values)
    assert expected["is_change"].any()  # the cuts cross restarts, not only the warm-up
    rng = np.random.default_rng(11)
    for cut in [0, values.size, *rng.integers(0, values.size, 8)]:
        det = streamcp.RobustChangePointDetector(**options)
        head = det.update_many(values[:cut])
        clones = [
            pickle.loads(pickle.dumps(det, protocol=pickle.HIGHEST_PROTOCOL)),
            copy.deepcopy(det),
            copy.copy(det),
            streamcp.RobustChangePointDetector.from_snapshot(det.snapshot()),
        ]
        restored = streamcp.RobustChangePointDetector(**options)
        restored.restore(det.snapshot())
        clones.append(restored)
        for clone in clones:
            assert repr(clone) == repr(det)
            tail = clone.update_many(values[cut:])
            assert same_rows(np.concatenate([head, tail]), expected), cut


def test_pickle_many_cuts_in_one_stream() -> None:
    values = trending_series(5)
    expected = streamcp.RobustChangePointDetector(detrend=True).update_many(values)
    det = streamcp.RobustChangePointDetector(detrend=True)
    rows = []
    for i, v in enumerate(values):
        if i % 23 == 0:
            det = pickle.loads(pickle.dumps(det))
        rows.append(tuple(det.update(v)))
    got = np.array(rows, dtype=expected.dtype)
    assert same_rows(got, expected)


def test_damaged_snapshots_are_rejected_and_change_nothing() -> None:
    det = streamcp.RobustChangePointDetector(history=20, difference=True)
    det.update_many(trending_series()[:100])
    data = det.snapshot()
    before = det.snapshot()
    for n in (0, 3, 16, len(data) // 2, len(data) - 1):
        with pytest.raises(ValueError, match="snapshot"):
            det.restore(data[:n])
        with pytest.raises(ValueError, match="snapshot"):
            streamcp.RobustChangePointDetector.from_snapshot(data[:n])
    for i in range(0, len(data), 7):
        corrupt = bytearray(data)
        corrupt[i] ^= 0x40
        with pytest.raises(ValueError, match="snapshot"):
            det.restore(bytes(corrupt))
    with pytest.raises(ValueError, match="other options"):
        streamcp.RobustChangePointDetector(history=21, difference=True).restore(data)
    with pytest.raises(ValueError, match="snapshot"):
        det.restore(streamcp.ChangePointDetector(95, 20).snapshot())
    with pytest.raises(ValueError, match="snapshot"):
        streamcp.ChangePointDetector.from_snapshot(data)
    assert det.snapshot() == before


def test_unpickling_another_state_format_is_an_error() -> None:
    det = streamcp.RobustChangePointDetector()
    state = det.__getstate__()
    state["format"] = 99
    clone = streamcp.RobustChangePointDetector.__new__(streamcp.RobustChangePointDetector)
    with pytest.raises(ValueError, match="state format"):
        clone.__setstate__(state)


def test_detrend_dates_a_level_break_in_a_steep_trend() -> None:
    rng = np.random.default_rng(17)
    t = np.arange(400, dtype=np.float64)
    values = rng.uniform(-1, 1, t.size) + 0.5 * t + 8.0 * (t >= 250)
    onsets, _ = streamcp.RobustChangePointDetector(99, detrend=True).change_points(values)
    assert onsets == [250]
    assert 250 not in streamcp.RobustChangePointDetector(99).change_points(values)[0]
    with pytest.raises(ValueError, match="detrend"):
        streamcp.RobustChangePointDetector(history=5, min_history=2, detrend=True)


def test_min_run_ignores_an_isolated_outlier() -> None:
    rng = np.random.default_rng(13)
    values = rng.uniform(-1, 1, 300)
    values[100] = 1000.0
    values[200:] += 10.0
    assert streamcp.RobustChangePointDetector().change_points(values)[0][0] == 100
    # History 50: the outlier has left the sample (whose spread it inflates) by the shift.
    onsets, alerts = streamcp.RobustChangePointDetector(history=50, min_run=2).change_points(values)
    assert onsets == [200] and alerts[0] >= 201
    with pytest.raises(ValueError, match="min_run"):
        streamcp.RobustChangePointDetector(min_run=0)


def test_new_options_round_trip_through_pickle_and_validate() -> None:
    det = streamcp.RobustChangePointDetector(calibration=100, cooldown=5, forget="never", short_history=20)
    assert (det.calibration, det.cooldown, det.forget, det.short_history) == (100, 5, "never", 20)
    assert "forget='never'" in repr(det)
    rng = np.random.default_rng(3)
    values = np.r_[rng.normal(0, 1, 300), rng.normal(5, 1, 300)]
    det.update_many(values[:400])
    restored = pickle.loads(pickle.dumps(det))
    rest_a, rest_b = det.update_many(values[400:]), restored.update_many(values[400:])
    assert np.array_equal(rest_a["is_change"], rest_b["is_change"])
    assert np.array_equal(rest_a["score"], rest_b["score"])
    with pytest.raises(ValueError, match="forget"):
        streamcp.RobustChangePointDetector(forget="sometimes")
    with pytest.raises(ValueError, match="cooldown"):
        streamcp.RobustChangePointDetector(cooldown=-1)
    with pytest.raises(ValueError, match="short_history"):
        streamcp.RobustChangePointDetector(history=50, short_history=60)


def test_defaults_are_the_recommended_detector() -> None:
    det = streamcp.RobustChangePointDetector()
    assert (det.confidence, det.history, det.min_history, det.min_run) == (90.0, 450, 10, 1)
    assert (det.cooldown, det.forget, det.calibration, det.short_history) == (30, "outside_range", 0, 0)
    assert det.period_search == 100
    # A daily cycle seen whole (history 450 >= 288 events a day) raises nothing.
    t = np.arange(4032)
    daily = 50 + 30 * np.sin(2 * np.pi * t / 288) + np.random.default_rng(5).normal(0, 1, t.size)
    assert not streamcp.RobustChangePointDetector().update_many(daily)["is_change"].any()


def test_period_search_finds_a_day_unlike_the_day_before() -> None:
    # A cycle of 48 events; one day (from 1500) flat at the mean: every value in range.
    t = np.arange(2400)
    values = 50 + 30 * np.sin(2 * np.pi * t / 48) + np.random.default_rng(7).normal(0, 1, t.size)
    values[1500:1548] = 50.0
    plain = np.flatnonzero(streamcp.RobustChangePointDetector(period_search=0).update_many(values)["is_change"])
    assert plain.size == 0
    det = streamcp.RobustChangePointDetector()
    found = np.flatnonzero(det.update_many(values[:1520])["is_change"])
    assert det.period_search == 100 and "period_search=100" in repr(det)
    copy = pickle.loads(pickle.dumps(det))  # the period found travels with the state
    rest = det.update_many(values[1520:])
    assert np.array_equal(rest["score"], copy.update_many(values[1520:])["score"])
    found = np.r_[found, 1520 + np.flatnonzero(rest["is_change"])]
    assert found.size >= 1 and 1500 <= found[0] < 1548
    with pytest.raises(ValueError, match="period_search"):
        streamcp.RobustChangePointDetector(period_search=5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"history": "50"}, TypeError, r"history must be an integer number of events; got '50' \(str\)"),
        ({"history": 50.7}, TypeError, r"history must be an integer number of events; got 50\.7 \(float\)"),
        ({"history": 1}, ValueError, r"history = 1 is out of range: allowed at least 2"),
        ({"confidence": 100}, ValueError, r"confidence = 100 is out of range"),
        ({"min_history": 2.5}, TypeError, r"min_history must be an integer; got 2\.5 \(float\)"),
        ({"confidence": "90"}, TypeError, r"confidence must be a number; got '90' \(str\)"),
        ({"detrend": 1}, TypeError, r"detrend must be a bool; got 1 \(int\)"),
        ({"forget": None}, TypeError, r"forget must be one of 'always', 'never', 'outside_range'; got None"),
    ],
)
def test_arguments_are_validated_like_the_other_detectors(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        streamcp.RobustChangePointDetector(**kwargs)
