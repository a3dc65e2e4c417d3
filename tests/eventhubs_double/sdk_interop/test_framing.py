# SPDX-License-Identifier: MIT
"""The double frames as Azure does and enforces it: the open and begin fields, the 64 KiB frame
limit and the idle timeout, seen with the SDK's own AMQP codec on a bare socket."""

import time

import pytest

from azure.eventhub._pyamqp._encode import encode_frame
from azure.eventhub._pyamqp.performatives import BeginFrame

from amqp_wire import WireClient

OPEN_CODE, BEGIN_CODE, CLOSE_CODE = 0x10, 0x11, 0x18


def test_open_and_begin_carry_azures_values(start_double):
    double = start_double()
    client = WireClient(double.port)
    try:
        client.sasl_anonymous()
        code, fields = client.open()
        assert code == OPEN_CODE
        container_id, _, max_frame_size, channel_max, idle_timeout = fields[:5]
        assert container_id
        assert max_frame_size == 65536
        assert channel_max == 4999
        assert idle_timeout == 120000
        code, fields = client.begin()
        assert code == BEGIN_CODE
        remote_channel, next_outgoing_id, incoming_window, outgoing_window, handle_max = fields[:5]
        assert remote_channel == 0
        assert None not in (next_outgoing_id, incoming_window, outgoing_window, handle_max)
    finally:
        client.close()


def test_frame_over_the_limit_closes_the_connection(start_double):
    double = start_double()
    client = WireClient(double.port)
    try:
        client.sasl_anonymous()
        client.open()
        client.send_frame(padded_begin(65536 + 1))  # a valid begin, one byte too large
        answer = client.read_until_closed()
        assert b"amqp:connection:framing-error" in answer
    finally:
        client.close()


def padded_begin(total_size):
    """A begin frame whose properties carry padding so the frame is exactly total_size bytes."""
    def frame(pad):
        return BeginFrame(remote_channel=None, next_outgoing_id=0, incoming_window=5000,
                          outgoing_window=5000, handle_max=255, offered_capabilities=None,
                          desired_capabilities=None, properties={b"padding": b"x" * pad})
    pad = total_size
    header, body = encode_frame(frame(pad))
    pad -= len(header) + len(body) - total_size  # large sizes: the encoding overhead is fixed
    header, body = encode_frame(frame(pad))
    assert len(header) + len(body) == total_size
    return frame(pad)


def test_frame_at_the_limit_is_accepted(start_double):
    double = start_double()
    client = WireClient(double.port)
    try:
        client.sasl_anonymous()
        client.open()
        client.send_frame(padded_begin(65536))
        code, _ = client.read_frame()
        assert code == BEGIN_CODE
    finally:
        client.close()


def test_idle_connection_is_closed_after_the_timeout(start_double):
    double = start_double("--idle-timeout", "1s", "--verbose")
    client = WireClient(double.port)
    try:
        client.sasl_anonymous()
        code, fields = client.open()
        assert fields[4] == 1000
        opened = time.monotonic()
        answer = client.read_until_closed(limit=15)
        waited = time.monotonic() - opened
        assert b"amqp:resource-limit-exceeded" in answer
        assert 0.9 <= waited < 10
    finally:
        client.close()
    double.stop()
    # The streamcp keep-alive tests check this line is absent.
    assert "idle-timeout expired" in double.stderr()


@pytest.mark.parametrize("channel", [4999, 5000])
def test_channels_up_to_channel_max(start_double, channel):
    double = start_double()
    client = WireClient(double.port)
    try:
        client.sasl_anonymous()
        client.open()
        client.send_frame(BeginFrame(remote_channel=None, next_outgoing_id=0, incoming_window=5000,
                                     outgoing_window=5000, handle_max=255,
                                     offered_capabilities=None, desired_capabilities=None,
                                     properties=None), channel=channel)
        code, fields = client.read_frame()
        if channel <= 4999:
            assert (code, fields[0]) == (BEGIN_CODE, channel)
        else:
            assert code == CLOSE_CODE
            assert fields[0][0] == b"amqp:connection:framing-error"
    finally:
        client.close()
