# SPDX-License-Identifier: MIT
"""Fixtures of the Event Hubs SDK interop suite: the test double as a child process, and the
official azure-eventhub SDK pointed at it with UseDevelopmentEmulator=true (plain TCP)."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

KEY = "c2VjcmV0LWtleS1mb3ItdGhlLWRvdWJsZQ=="  # base64, so the IoT Hub front accepts it too
KEY_NAME = "service"


def pytest_addoption(parser):
    parser.addoption("--double", required=True, help="path of streamcp_eventhubs_double")
    parser.addoption("--streamcp", default=None, help="path of the streamcp command")


class Double:
    """A running streamcp_eventhubs_double; `control` sends a stdin command and returns its answer."""

    def __init__(self, binary, workdir, *args):
        self.workdir = Path(workdir)
        self.stderr_path = self.workdir / f"double-{id(self)}.stderr"
        env = dict(os.environ, STREAMCP_DOUBLE_KEY=KEY)
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [binary, "--key-name", KEY_NAME, "--port", "0", *args],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True,
                bufsize=1)
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            raise RuntimeError(f"double did not start: {line!r} {self.stderr()}")
        self.port = int(line.split()[1])

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def connection_string(self, hub):
        return (f"Endpoint=sb://127.0.0.1:{self.port};SharedAccessKeyName={KEY_NAME};"
                f"SharedAccessKey={KEY};EntityPath={hub};UseDevelopmentEmulator=true")

    def control(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self):
        if self.process.poll() is None:
            try:
                self.control("quit")
                self.process.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="streamcp-sdk-")
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_double(request, workdir):
    started = []

    def start(*args):
        double = Double(request.config.getoption("--double"), workdir, *args)
        started.append(double)
        return double

    yield start
    for double in started:
        double.stop()


@pytest.fixture
def streamcp_binary(request):
    binary = request.config.getoption("--streamcp")
    if not binary:
        pytest.fail("--streamcp is required for the tests with streamcp")
    return binary


def wait_until(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
