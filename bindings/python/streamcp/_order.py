# SPDX-License-Identifier: MIT
"""The CLI's per-key ordering stage (docs/semantics.md#order): a thin wrapper of ``_core.order``,
which runs the runtime's own rule (src/runtime/engine/order/key_order.hpp) over event indices.

``streamcp detect`` holds events late by at most the out-of-order tolerance and releases them in
time order (ties in arrival order); an event later than that is adjusted to the key's latest time
minus the tolerance, or dropped. Keys never interact, so a caller that groups by key gets the
CLI's per-key release order. Times go in and come out as int64 nanoseconds but are whole 100 ns
ticks inside, as the CLI's are (finer times floor; docs/semantics.md#time).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _core

__all__ = ["OrderedKey", "OrderedKeys", "order_key", "order_keys"]


class OrderedKey(NamedTuple):
    """One key's events through the ordering stage."""

    #: The event time the function gets (adjusted for late events), int64 ns, per arrival.
    times: np.ndarray
    #: True for events dropped as out of order (action "drop").
    dropped: np.ndarray
    #: Indices (into the arrival order) of the released events, in release order.
    released: np.ndarray
    #: Indices of the events still held, in arrival order.
    held: np.ndarray
    #: The key's latest time after these events (None when there were none and none before).
    latest: int | None


class OrderedKeys(NamedTuple):
    """Many keys' whole inputs through the ordering stage, up to the end of the input."""

    #: The event time the function gets (adjusted for late events), int64 ns, per arrival.
    times: np.ndarray
    #: True for events dropped as out of order (action "drop").
    dropped: np.ndarray
    #: Indices of the released events: by key, within a key in release order.
    released: np.ndarray
    #: True for the events a key still held after its last arrival: the end of the input
    #: released them.
    held_at_end: np.ndarray


def order_key(
    held_times: np.ndarray,
    new_times: np.ndarray,
    *,
    latest: int | None,
    tolerance_ns: int,
    drop: bool,
    flush: bool,
) -> OrderedKey:
    """Runs one key's events through the ordering stage; indices count held events first.

    ``held_times``: the events this key still holds (from earlier calls, arrival order);
    ``new_times``: the events arriving now, in arrival order; ``latest``: the key's latest time
    so far (None for a new key). ``flush`` releases everything, as the end of the input does.
    """
    return OrderedKey(*_core.order.order_key(
        np.asarray(held_times, dtype=np.int64), np.asarray(new_times, dtype=np.int64),
        latest, int(tolerance_ns), bool(drop), bool(flush)))


def order_keys(segments: np.ndarray, times: np.ndarray, *, tolerance_ns: int, drop: bool) -> OrderedKeys:
    """``order_key`` over many keys at once, each from its first event to the end of the input.

    ``segments``: one code per event, the events of a key contiguous and in arrival order
    (adjacent keys' codes differ); ``times``: their event times in ns. Equals ``order_key`` with
    ``flush=True`` per key, without a Python step per key.
    """
    return OrderedKeys(*_core.order.order_keys(
        np.asarray(segments, dtype=np.int64), np.asarray(times, dtype=np.int64), int(tolerance_ns), bool(drop)))
