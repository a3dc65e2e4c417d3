# SPDX-License-Identifier: MIT
"""Batch calls release the GIL, and concurrent calls stay correct."""

from __future__ import annotations

import threading

import numpy as np

import streamcp


def test_update_many_releases_the_gil() -> None:
    """While one thread is inside a long update_many, another Python thread keeps running.

    With the GIL held for the whole call the main thread could not execute a single
    bytecode between ``started`` and ``done``; the threshold is far below what it manages
    in a fraction of a second, so this does not depend on the machine's speed.
    """
    x = np.random.default_rng(0).normal(size=60_000)
    det = streamcp.ChangePointDetector(95, 300)
    started, done = threading.Event(), threading.Event()
    result: list[np.ndarray] = []

    def work() -> None:
        started.set()
        result.append(det.update_many(x))
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    started.wait()
    spins = 0
    while not done.is_set():
        spins += 1
    thread.join()
    assert len(result[0]) == len(x)
    assert spins > 1000, f"the main thread ran only {spins} iterations during update_many"


def test_shared_function_concurrent_keys_are_correct() -> None:
    """Threads scoring different keys on one shared function: each key's results equal a
    sequential run of that key alone, whatever the interleaving (partitions are independent)."""
    rng = np.random.default_rng(1)
    n, threads = 4000, 4
    t0 = np.datetime64("2019-11-18T19:00:00", "ns")
    times = t0 + np.arange(n) * np.timedelta64(10, "s")
    series = {k: rng.normal(20, 1, n) + np.where(np.arange(n) > n // 2, 5.0, 0.0) for k in range(threads)}
    shared = streamcp.AnomalyDetectionChangePoint(80, 30, "10m")
    got: dict[int, list[np.ndarray]] = {k: [] for k in range(threads)}
    barrier = threading.Barrier(threads)

    def work(key: int) -> None:
        barrier.wait()
        for chunk in np.array_split(np.arange(n), 20):
            got[key].append(shared.evaluate_many([key] * len(chunk), times[chunk], series[key][chunk]))

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert shared.partition_count == threads
    for key in range(threads):
        alone = streamcp.AnomalyDetectionChangePoint(80, 30, "10m").evaluate_many(None, times, series[key])
        np.testing.assert_array_equal(np.concatenate(got[key]), alone)


def test_concurrent_detectors_match_sequential() -> None:
    rng = np.random.default_rng(2)
    data = [rng.normal(size=20_000) for _ in range(4)]
    want = [streamcp.SpikeAndDipDetector(99, 50).update_many(x) for x in data]
    out: list[np.ndarray | None] = [None] * 4

    def work(i: int) -> None:
        out[i] = streamcp.SpikeAndDipDetector(99, 50).update_many(data[i])

    pool = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    for got, expected in zip(out, want):
        np.testing.assert_array_equal(got, expected)
