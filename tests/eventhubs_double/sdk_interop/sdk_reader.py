# SPDX-License-Identifier: MIT
"""Reads events with the SDK's EventHubConsumerClient until a count is reached (or, with
count=None, until none arrives for `settle` seconds), then `settle` seconds longer, so a test
sees extra (duplicate) events too. Without a partition id every partition is read by its own
client, concurrently: one client over all partitions balances them slowly (seconds per event)."""

import threading
import time

from azure.eventhub import EventHubConsumerClient


def read_events(connection_string, count, *, consumer_group="$Default", partition_id=None,
                starting_position="-1", inclusive=False, timeout=60.0, settle=1.0):
    received = []
    errors = []
    lock = threading.Lock()
    enough = threading.Event()

    def on_event(partition_context, event):
        if event is None:
            return
        with lock:
            received.append((partition_context.partition_id, event))
            if count is not None and len(received) >= count:
                enough.set()

    def on_error(partition_context, error):
        errors.append(error)

    if partition_id is None:
        with EventHubConsumerClient.from_connection_string(
                connection_string, consumer_group=consumer_group) as client:
            partitions = client.get_partition_ids()
    else:
        partitions = [partition_id]
    clients = []
    workers = []
    for partition in partitions:
        client = EventHubConsumerClient.from_connection_string(
            connection_string, consumer_group=consumer_group)
        worker = threading.Thread(target=client.receive, daemon=True, kwargs={
            "on_event": on_event, "on_error": on_error, "partition_id": partition,
            "starting_position": starting_position,
            "starting_position_inclusive": inclusive, "max_wait_time": 0.5})
        clients.append(client)
        workers.append(worker)
        worker.start()
    if count is None:
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline and (seen != len(received) or not received):
            seen = len(received)
            time.sleep(settle)
    else:
        enough.wait(timeout)
    time.sleep(settle)  # extra events (duplicates) would arrive within this
    for client in clients:
        client.close()
    for worker in workers:
        worker.join(10)
    with lock:
        return list(received), errors
