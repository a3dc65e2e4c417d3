# SPDX-License-Identifier: MIT
"""streamcp._order.order_key equals the CLI's ordering stage run event by event (a heap per key,
docs/semantics.md#order), on random late arrivals, for both actions and any cut of the input
into pieces (as micro-batches cut it)."""

from __future__ import annotations

import heapq
import random

import numpy as np
import pytest

from streamcp._order import order_key, order_keys

Releases = list[tuple[int, int]]

#: 100 ns: event times are whole .NET ticks (docs/semantics.md#time), so the random times and
#: tolerances below are whole ticks in nanoseconds.
TICK = 100


def reference(times: list[int], tolerance: int, drop: bool) -> tuple[Releases, list[int]]:
    """The stage as the CLI runs it: (arrival, time) in release order, and the dropped arrivals."""
    released, dropped, _ = run_stage(times, tolerance, drop)
    return released, dropped


def run_stage(times: list[int], tolerance: int, drop: bool) -> tuple[Releases, list[int], list[int]]:
    """``reference`` plus the arrivals still held after the last one (the end of input releases them)."""
    released: Releases = []
    dropped: list[int] = []
    held: list[tuple[int, int]] = []
    latest = None
    for arrival, t in enumerate(times):
        latest = t if latest is None else latest
        acceptable = latest - tolerance
        if t < acceptable:
            if drop:
                dropped.append(arrival)
            else:
                released.append((arrival, acceptable))
            continue
        latest = max(latest, t)
        heapq.heappush(held, (t, arrival))
        while held and held[0][0] <= latest - tolerance:
            time, index = heapq.heappop(held)
            released.append((index, time))
    released += [(index, time) for time, index in sorted(held)]
    return released, dropped, sorted(index for _, index in held)


def in_pieces(times: list[int], cuts: list[int], tolerance: int, drop: bool) -> tuple[Releases, list[int]]:
    """order_key fed piece by piece, carrying the held events and the latest time, then flushed."""
    released: Releases = []
    dropped: list[int] = []
    held: list[int] = []
    latest = None
    bounds = [0, *cuts, len(times)]
    for start, end in zip(bounds, bounds[1:]):
        arrivals = held + list(range(start, end))
        result = order_key(np.array([times[i] for i in held], dtype=np.int64),
                           np.array(times[start:end], dtype=np.int64), latest=latest,
                           tolerance_ns=tolerance, drop=drop, flush=end == len(times))
        released += [(arrivals[i], int(result.times[i])) for i in result.released]
        dropped += [arrivals[i] for i in np.flatnonzero(result.dropped)]
        held = [arrivals[i] for i in result.held]
        latest = result.latest
    return released, dropped


@pytest.mark.parametrize("seed", range(60))
def test_order_key_equals_the_cli_stage(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randrange(1, 60)
    times = [TICK * (10 * i + rng.choice([0, 0, 0, -rng.randrange(0, 80)])) for i in range(n)]
    tolerance = TICK * rng.choice([0, 5, 20, 50])
    drop = rng.random() < 0.5
    cuts = sorted(rng.sample(range(1, n), k=min(n - 1, rng.randrange(0, 5)))) if n > 1 else []
    assert in_pieces(times, cuts, tolerance, drop) == reference(times, tolerance, drop)


@pytest.mark.parametrize("seed", range(30))
def test_order_keys_equals_the_cli_stage_per_key(seed: int) -> None:
    # Many keys at once, as streamcp.spark scores a whole sorted partition: per key, the
    # releases, drops and end-of-input holds of the CLI's stage.
    rng = random.Random(1000 + seed)
    tolerance = TICK * rng.choice([0, 5, 20, 50])
    drop = rng.random() < 0.5
    # Keys far apart in time too: the stage must not mix them.
    keys = [[TICK * (10 * i + rng.choice([0, 0, -rng.randrange(0, 80)])) + offset
             for i in range(rng.randrange(1, 40))]
            for offset in (10**15 * rng.randrange(-2, 3) for _ in range(rng.randrange(1, 8)))]
    segments = np.concatenate([np.full(len(k), 7 * n + 3) for n, k in enumerate(keys)])
    result = order_keys(segments, np.concatenate([np.array(k, dtype=np.int64) for k in keys]),
                        tolerance_ns=tolerance, drop=drop)
    start = 0
    released = [(int(i), int(result.times[i])) for i in result.released]
    for times in keys:
        end = start + len(times)
        mine = [(i - start, t) for i, t in released if start <= i < end]
        expected_released, expected_dropped, expected_held = run_stage(times, tolerance, drop)
        assert mine == expected_released
        assert list(np.flatnonzero(result.dropped[start:end])) == expected_dropped
        assert list(np.flatnonzero(result.held_at_end[start:end])) == expected_held
        start = end


def test_times_and_tolerances_finer_than_a_tick_act_as_the_cli_does() -> None:
    # Times floor to ticks (1199 ns is 1100); with a 150 ns tolerance the latest acceptable time
    # is 950 ns, so 850 and 899 ns are late and adjusted to it, floored to 900; the rest are held
    # and released in (time, arrival) order at the end.
    result = order_key(np.array([], dtype=np.int64), np.array([1_000, 1_199, 850, 899, 1_000], dtype=np.int64),
                       latest=None, tolerance_ns=150, drop=False, flush=True)
    assert list(result.times) == [1_000, 1_100, 900, 900, 1_000]
    assert list(result.released) == [2, 3, 0, 4, 1]
    assert result.latest == 1_100
