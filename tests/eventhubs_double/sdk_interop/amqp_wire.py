# SPDX-License-Identifier: MIT
"""A bare AMQP 1.0 client on a socket, framing with the SDK's own encoder and decoder
(azure.eventhub._pyamqp), to see the double's frames as the SDK sees them and to send frames the
SDK never would (oversized, or none at all)."""

import socket
import struct

from azure.eventhub._pyamqp._decode import decode_frame
from azure.eventhub._pyamqp._encode import encode_frame
from azure.eventhub._pyamqp.performatives import BeginFrame, OpenFrame, SASLInit

AMQP_HEADER = b"AMQP\x00\x01\x00\x00"
SASL_HEADER = b"AMQP\x03\x01\x00\x00"
SASL_FRAME = b"\x01"


class WireClient:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def close(self):
        self.sock.close()

    def read_exact(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed by the peer")
            data += chunk
        return data

    def read_frame(self):
        """(frame type code, performative fields) of the next non-empty frame."""
        while True:
            header = self.read_exact(8)
            size = struct.unpack(">I", header[:4])[0]
            body = self.read_exact(size - 8)
            if body:
                return decode_frame(memoryview(body)[header[4] * 4 - 8:])

    def send_frame(self, performative, frame_type=b"\x00", channel=0):
        header, body = encode_frame(performative, frame_type)
        header = header[:6] + struct.pack(">H", channel)
        self.sock.sendall(header + (body or b""))

    def sasl_anonymous(self):
        self.sock.sendall(SASL_HEADER)
        assert self.read_exact(8) == SASL_HEADER
        self.read_frame()  # sasl-mechanisms
        self.send_frame(SASLInit(mechanism=b"ANONYMOUS", initial_response=None, hostname=None),
                        SASL_FRAME)
        self.read_frame()  # sasl-outcome
        self.sock.sendall(AMQP_HEADER)
        assert self.read_exact(8) == AMQP_HEADER

    def open(self, max_frame_size=65536, idle_timeout=None):
        self.send_frame(OpenFrame(container_id="wire-test", hostname="127.0.0.1",
                                  max_frame_size=max_frame_size, channel_max=65535,
                                  idle_timeout=idle_timeout, outgoing_locales=None,
                                  incoming_locales=None, offered_capabilities=None,
                                  desired_capabilities=None, properties=None))
        return self.read_frame()

    def begin(self):
        self.send_frame(BeginFrame(remote_channel=None, next_outgoing_id=0, incoming_window=5000,
                                   outgoing_window=5000, handle_max=255,
                                   offered_capabilities=None, desired_capabilities=None,
                                   properties=None))
        return self.read_frame()

    def read_until_closed(self, limit=10.0):
        """Every byte the peer sends until it closes the socket."""
        self.sock.settimeout(limit)
        data = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return data
            data += chunk
