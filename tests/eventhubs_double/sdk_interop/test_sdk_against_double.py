# SPDX-License-Identifier: MIT
"""Microsoft's azure-eventhub SDK (unpatched) against the test double: management reads, single
and batched sends with partition keys and properties, receives from every kind of start
position and from several consumer groups. Counts are exact."""

import datetime as dt
import json

import pytest
from azure.eventhub import EventData, EventHubProducerClient
from azure.eventhub._buffered_producer._partition_resolver import generate_hash_code
from azure.eventhub.exceptions import EventHubError

from sdk_reader import read_events

HUB = "telemetry"
PARTITIONS = 4


def azure_partition(key, count):
    """Where the service puts a key: |hash % count| with C#'s truncating remainder (the .NET and
    Java resolvers). The Python resolver's `abs(hash % count)` floors instead and disagrees for
    negative hash codes, so only its hash code is taken from it."""
    hash_code = generate_hash_code(key)
    return abs(hash_code) % count


def text(value):
    """The SDK gives some system properties as bytes (partition key) and others as str."""
    return value.decode() if isinstance(value, bytes) else value


@pytest.fixture
def double(start_double):
    return start_double("--hub", f"{HUB}:{PARTITIONS}", "--consumer-groups", "analytics,archive")


@pytest.fixture
def producer(double):
    client = EventHubProducerClient.from_connection_string(double.connection_string(HUB))
    yield client
    client.close()


def test_management_reads(double, producer):
    properties = producer.get_eventhub_properties()
    assert properties["eventhub_name"] == HUB
    assert properties["partition_ids"] == [str(p) for p in range(PARTITIONS)]
    assert producer.get_partition_ids() == [str(p) for p in range(PARTITIONS)]
    empty = producer.get_partition_properties("2")
    assert empty["id"] == "2"
    assert empty["is_empty"] is True
    assert empty["last_enqueued_sequence_number"] == -1

    producer.send_event(EventData("x"), partition_id="2")
    producer.send_event(EventData("y"), partition_id="2")
    filled = producer.get_partition_properties("2")
    assert filled["is_empty"] is False
    assert filled["beginning_sequence_number"] == 0
    assert filled["last_enqueued_sequence_number"] == 1
    assert filled["last_enqueued_offset"] == "1"  # byte offset of the second one-byte event
    assert isinstance(filled["last_enqueued_time_utc"], dt.datetime)
    with pytest.raises(EventHubError):
        producer.get_partition_properties("9")


def test_single_sends_keep_keys_and_properties(double, producer):
    for i in range(20):
        event = EventData(json.dumps({"i": i}))
        event.properties = {"seq": i, "kind": "single"}
        event.content_type = "application/json"
        event.message_id = f"id-{i}"
        producer.send_event(event, partition_key=f"device-{i % 5}")
    received, errors = read_events(double.connection_string(HUB), 20)
    assert not errors
    assert len(received) == 20
    for partition, event in received:
        i = json.loads(event.body_as_str())["i"]
        assert text(event.partition_key) == f"device-{i % 5}"
        assert partition == str(azure_partition(text(event.partition_key), PARTITIONS))
        assert event.properties == {b"seq": i, b"kind": b"single"}
        assert text(event.content_type) == "application/json"
        assert text(event.message_id) == f"id-{i}"
    per_key = {}
    for _, event in received:
        per_key.setdefault(text(event.partition_key), []).append(json.loads(event.body_as_str())["i"])
    assert all(values == sorted(values) for values in per_key.values())


def test_batched_sends_keep_every_event(double, producer):
    for key in ("device-a", "device-b", "device-c"):
        batch = producer.create_batch(partition_key=key)
        for i in range(50):
            event = EventData(json.dumps({"key": key, "i": i}))
            event.properties = {"i": i}
            batch.add(event)
        producer.send_batch(batch)
    unkeyed = producer.create_batch(partition_id="3")
    for i in range(50):
        unkeyed.add(EventData(f"plain-{i}"))
    producer.send_batch(unkeyed)

    received, errors = read_events(double.connection_string(HUB), 200)
    assert not errors
    assert len(received) == 200
    by_key = {}
    for partition, event in received:
        if text(event.partition_key) is None:
            assert partition == "3"
            by_key.setdefault(None, []).append(event.body_as_str())
            continue
        body = json.loads(event.body_as_str())
        assert text(event.partition_key) == body["key"]
        assert event.properties == {b"i": body["i"]}
        assert partition == str(azure_partition(body["key"], PARTITIONS))
        by_key.setdefault(body["key"], []).append(body["i"])
    for key in ("device-a", "device-b", "device-c"):
        assert by_key[key] == list(range(50))
    assert by_key[None] == [f"plain-{i}" for i in range(50)]


def test_partition_keys_land_where_azure_puts_them(start_double):
    # 32 partitions and 600 keys: every partition and both signs of the hash code are exercised.
    double = start_double("--hub", "keys:32")
    producer = EventHubProducerClient.from_connection_string(double.connection_string("keys"))
    keys = [f"device-{i}" for i in range(300)] + [f"sensor/{i:05d}/x" * (i % 4 + 1) for i in range(300)]
    with producer:
        for start in range(0, len(keys), 100):
            for key in keys[start:start + 100]:
                batch = producer.create_batch(partition_key=key)
                batch.add(EventData(key))
                producer.send_batch(batch)
    received, errors = read_events(double.connection_string("keys"), len(keys))
    assert not errors
    assert len(received) == len(keys)
    placed = {event.body_as_str(): int(partition) for partition, event in received}
    assert placed == {key: azure_partition(key, 32) for key in keys}
    assert len(set(placed.values())) == 32
    assert any(generate_hash_code(key) < 0 for key in keys)


def test_every_start_position(double, producer):
    for i in range(10):
        producer.send_event(EventData(f"e{i}"), partition_id="1")
    everything, _ = read_events(double.connection_string(HUB), 10, partition_id="1")
    events = [event for _, event in everything]
    assert [e.body_as_str() for e in events] == [f"e{i}" for i in range(10)]
    fifth = events[4]
    conn = double.connection_string(HUB)

    def bodies(count, **kwargs):
        received, errors = read_events(conn, count, partition_id="1", **kwargs)
        assert not errors
        return [event.body_as_str() for _, event in received]

    assert bodies(10, starting_position="-1") == [f"e{i}" for i in range(10)]
    assert bodies(5, starting_position=fifth.offset) == [f"e{i}" for i in range(5, 10)]
    assert bodies(6, starting_position=fifth.offset, inclusive=True) == [f"e{i}" for i in range(4, 10)]
    assert bodies(5, starting_position=fifth.sequence_number) == [f"e{i}" for i in range(5, 10)]
    assert bodies(6, starting_position=fifth.sequence_number, inclusive=True) == [
        f"e{i}" for i in range(4, 10)]
    later = [e for e in events if e.enqueued_time > fifth.enqueued_time]
    assert bodies(len(later), starting_position=fifth.enqueued_time) == [e.body_as_str() for e in later]
    at_or_after = [e for e in events if e.enqueued_time >= fifth.enqueued_time]
    assert bodies(len(at_or_after), starting_position=fifth.enqueued_time, inclusive=True) == [
        e.body_as_str() for e in at_or_after]
    assert bodies(0, starting_position="@latest") == []


def test_consumer_groups_read_independently(double, producer):
    for i in range(12):
        producer.send_event(EventData(f"g{i}"), partition_key="same-key")
    conn = double.connection_string(HUB)
    for group in ("$Default", "analytics", "archive"):
        received, errors = read_events(conn, 12, consumer_group=group)
        assert not errors
        assert [event.body_as_str() for _, event in received] == [f"g{i}" for i in range(12)]
    # An unknown group's attach is refused (amqp:not-found); the SDK keeps retrying without
    # reporting it to on_error, so only the absence of events is checked.
    received, _ = read_events(conn, 1, consumer_group="unknown-group", timeout=5)
    assert received == []


def test_large_event_fills_whole_frames(double, producer):
    # The SDK cuts a 200 KB transfer into frames of exactly the advertised 65536 bytes.
    body = "".join(chr(ord("a") + i % 26) for i in range(200_000))
    producer.send_event(EventData(body), partition_id="0")
    received, errors = read_events(double.connection_string(HUB), 1, partition_id="0")
    assert not errors
    assert [event.body_as_str() for _, event in received] == [body]
    with pytest.raises(EventHubError):  # over the double's 256 KB (Basic tier) message limit
        producer.send_event(EventData("x" * 300_000), partition_id="0")


def test_malformed_batch_is_refused_and_nothing_is_stored(double, producer):
    batch = producer.create_batch(partition_id="1")
    for i in range(3):
        batch.add(EventData(f"fine-{i}"))
    # The SDK encodes each event into a data section of the batch message (format 0x80013700);
    # one section that is not an encoded AMQP message makes the batch malformed.
    batch._message[5].insert(1, bytearray(b"\x00\x53\x75 not an encoded message"))
    with pytest.raises(EventHubError, match="batch event 1"):
        producer.send_batch(batch)
    assert producer.get_partition_properties("1")["is_empty"] is True


def test_batch_over_the_message_size_is_refused_whole(double, producer):
    batch = producer.create_batch(partition_id="2")
    batch.add(EventData("e" * 10_000))
    # 30 copies of the encoded event: each small, together over the 256 KB limit.
    batch._message[5].extend([batch._message[5][0]] * 29)
    with pytest.raises(EventHubError, match="batch of"):
        producer.send_batch(batch)
    assert producer.get_partition_properties("2")["is_empty"] is True
