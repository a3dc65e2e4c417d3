# SPDX-License-Identifier: MIT
"""kernel="exact"|"fast" on every detector, function and streamcp.pandas.detect: the fast
kernel's p-values within 1e-14 and its alerts identical; the kernel is a setting, not state."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

import streamcp
import streamcp.pandas

P_BOUND = 1e-14  # absolute (docs/semantics.md#fast-kernel)
SCORE_BOUND = 1e-6  # relative


def _series(n: int = 3000, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    x += np.repeat(rng.normal(0.0, 4.0, n // 250 + 1), 250)[:n]  # level shifts: alerts
    x[rng.integers(0, n, n // 50)] = np.nan
    return x


def _close_scores(a: np.ndarray, b: np.ndarray) -> None:
    both_nan = np.isnan(a) & np.isnan(b)
    equal = (a == b) | both_nan
    rel = np.abs(a - b) / np.abs(a)
    assert np.all(equal | (rel <= SCORE_BOUND))


DETECTORS = [
    lambda kernel: streamcp.ChangePointDetector(95, 12, kernel=kernel),
    lambda kernel: streamcp.ChangePointDetector(90, 60, martingale="mixture", kernel=kernel),
    lambda kernel: streamcp.SpikeAndDipDetector(99, 30, kernel=kernel),
]


@pytest.mark.parametrize("make", DETECTORS)
def test_fast_detectors_agree_with_exact(make) -> None:
    x = _series()
    exact, fast = make("exact"), make("fast")
    assert (exact.kernel, fast.kernel) == ("exact", "fast")
    a, b = exact.update_many(x), fast.update_many(x)
    assert a["is_anomaly"].any()
    np.testing.assert_array_equal(a["is_anomaly"], b["is_anomaly"])
    ok = ~np.isnan(a["p_value"])
    assert np.max(np.abs(a["p_value"][ok] - b["p_value"][ok])) <= P_BOUND
    _close_scores(a["score"], b["score"])
    assert "kernel='fast'" in repr(fast)


@pytest.mark.parametrize("make", DETECTORS)
def test_detector_kernel_survives_pickle_copy_and_restore(make) -> None:
    fast = make("fast")
    fast.update_many(_series(200))
    for other in (pickle.loads(pickle.dumps(fast)), copy.copy(fast), copy.deepcopy(fast)):
        assert other.kernel == "fast"
        assert other.snapshot() == fast.snapshot()
    # Snapshots are kernel-free: an exact detector's restores into a fast one, which stays fast.
    exact = make("exact")
    exact.update_many(_series(200, seed=3))
    fast.restore(exact.snapshot())
    assert fast.kernel == "fast"
    assert fast.snapshot() == exact.snapshot()
    assert type(fast).from_snapshot(exact.snapshot()).kernel == "exact"
    assert type(fast).from_snapshot(exact.snapshot(), kernel="fast").kernel == "fast"


def _events(n: int = 3000) -> tuple[list[str], np.ndarray, np.ndarray]:
    keys = [f"dev-{i % 3}" for i in range(n)]
    times = np.datetime64("2024-01-01T00:00:00", "ns") + np.arange(n) * np.timedelta64(10, "s")
    return keys, times, _series(n)


FUNCTIONS = [
    lambda kernel: streamcp.AnomalyDetectionChangePoint(80, 12, "30m", kernel=kernel),
    lambda kernel: streamcp.AnomalyDetectionSpikeAndDip(95, 20, "spikesanddips", "30m", kernel=kernel),
]


@pytest.mark.parametrize("make", FUNCTIONS)
def test_fast_functions_agree_and_keep_their_kernel(make) -> None:
    keys, times, values = _events()
    exact, fast = make("exact"), make("fast")
    a = exact.evaluate_many(keys, times, values)
    b = fast.evaluate_many(keys, times, values)
    np.testing.assert_array_equal(a["is_anomaly"], b["is_anomaly"])
    np.testing.assert_array_equal(a["included"], b["included"])
    _close_scores(a["score"], b["score"])
    assert fast.kernel == "fast"
    assert pickle.loads(pickle.dumps(fast)).kernel == "fast"
    assert copy.deepcopy(fast).kernel == "fast"
    fast.restore(exact.snapshot())
    assert fast.kernel == "fast"


def test_pandas_detect_takes_the_kernel() -> None:
    keys, times, values = _events()
    df = pd.DataFrame({"device": keys, "t": times, "temp": values})
    args = {"value": "temp", "timestamp": "t", "partition_by": "device", "confidence": 80, "history": 12, "duration": "30m"}
    exact = streamcp.pandas.detect(df, **args)
    fast = streamcp.pandas.detect(df, **args, kernel="fast")
    pd.testing.assert_series_equal(exact["IsAnomaly"], fast["IsAnomaly"])
    _close_scores(exact["Score"].to_numpy(), fast["Score"].to_numpy())
    with pytest.raises(ValueError, match="kernel='fast' apply to detector='asa' only"):
        streamcp.pandas.detect(df, value="temp", timestamp="t", duration="75m", detector="robust", kernel="fast")


@pytest.mark.parametrize(
    "make",
    [
        lambda k: streamcp.ChangePointDetector(95, 12, kernel=k),
        lambda k: streamcp.SpikeAndDipDetector(95, 12, kernel=k),
        lambda k: streamcp.AnomalyDetectionChangePoint(80, 12, "30m", kernel=k),
        lambda k: streamcp.ChangePointDetector.from_snapshot(
            streamcp.ChangePointDetector(95, 12).snapshot(), kernel=k
        ),
    ],
)
def test_bad_kernels_are_refused_by_name(make) -> None:
    with pytest.raises(ValueError, match="kernel = 'avx' is out of range: allowed 'exact' or 'fast'"):
        make("avx")
    with pytest.raises(TypeError, match="kernel must be 'exact' or 'fast'; got int"):
        make(1)
