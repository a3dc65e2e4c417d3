# SPDX-License-Identifier: MIT
"""The CLI's per-key ordering stage (docs/semantics.md#order), for one key's events at a time.

``streamcp detect`` holds events late by at most the out-of-order tolerance and releases them in
time order (ties in arrival order); an event later than that is adjusted to the key's latest time
minus the tolerance, or dropped. Per key that amounts to: each event is compared with the running
maximum of the times before it, releases are sorted by (time after adjustment, arrival), and what
is still held after the last arrival is what a later event (or the end of the input) releases.
Keys never interact, so a caller that groups by key gets the CLI's per-key release order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["OrderedKey", "order_key"]


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
    held_times = np.asarray(held_times, dtype=np.int64)
    new_times = np.asarray(new_times, dtype=np.int64)
    n_held, n_new = len(held_times), len(new_times)
    times = np.concatenate([held_times, new_times])
    late = np.zeros(n_held + n_new, dtype=bool)
    effective = times.copy()
    new_latest = latest
    if n_new:
        running = np.maximum.accumulate(new_times)
        before = np.empty(n_new, dtype=np.int64)
        before[1:] = running[:-1]
        before[0] = new_times[0] if latest is None else latest
        if latest is not None:
            before = np.maximum(before, latest)
        acceptable = before - tolerance_ns
        late[n_held:] = new_times < acceptable
        effective[n_held:] = np.where(late[n_held:], acceptable, new_times)
        new_latest = int(max(before[-1], running[-1]))
    if flush or new_latest is None:
        due = np.ones(len(times), dtype=bool)
    else:
        # Held events were not late when they arrived, so they leave by their own time.
        due = late | (times <= new_latest - tolerance_ns)
    dropped = late & drop
    arrival = np.arange(len(times))
    released_mask = due & ~dropped
    candidates = arrival[released_mask]
    # Releases are in (time, arrival) order: an adjusted event goes out at the latest acceptable
    # time, after everything already released and before everything still held.
    released = candidates[np.lexsort((candidates, effective[released_mask]))]
    return OrderedKey(effective, dropped, released, arrival[~due], new_latest)
