# SPDX-License-Identifier: MIT
"""Reads events with the SDK's EventHubConsumerClient until a count is reached (or, with
count=None, until none arrives for `settle` seconds), then `settle` seconds longer, so a test
sees extra (duplicate) events too."""

import threading
import time

from azure.eventhub import EventHubConsumerClient


def read_events(connection_string, count, *, consumer_group="$Default", partition_id=None,
                starting_position="-1", inclusive=False, timeout=60.0, settle=1.0):
    received = []
    done = threading.Event()
    errors = []
    client = EventHubConsumerClient.from_connection_string(
        connection_string, consumer_group=consumer_group)

    def on_event(partition_context, event):
        if event is None:
            return
        received.append((partition_context.partition_id, event))
        if count is not None and len(received) >= count:
            done.set()

    def on_error(partition_context, error):
        errors.append(error)

    kwargs = {"on_event": on_event, "on_error": on_error, "starting_position": starting_position,
              "starting_position_inclusive": inclusive, "max_wait_time": 0.5}
    if partition_id is not None:
        kwargs["partition_id"] = partition_id
    worker = threading.Thread(target=client.receive, kwargs=kwargs, daemon=True)
    worker.start()
    if count is None:
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline and (seen != len(received) or not received):
            seen = len(received)
            time.sleep(settle)
    else:
        done.wait(timeout)
    time.sleep(settle)  # extra events (duplicates) would arrive within this
    client.close()
    worker.join(10)
    return received, errors
