#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`streamcp simulate --mqtt` against a real Mosquitto started by scripts/broker-mosquitto.

The broker refuses anonymous clients and knows only the usernames/passwords this test adds, each
password being the device SAS token computed here with Python's hmac (independently of streamcp)
for a fixed expiry: a wrong username, client key handling or token format fails the CONNECT.
Messages are read back by a persistent-session subscriber (mosquitto_sub), so what the broker
acknowledged while the subscriber was away, or across a broker restart, is still delivered.

    mqtt_simulator_test.py --streamcp BIN --broker-script scripts/broker-mosquitto --dir RUN_DIR
"""
import argparse
import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse

ARGS = None
HUB = "localhub.azure-devices.net"
API = "2021-04-12"
EXPIRY = 1893456000  # 2030-01-01T00:00:00Z, passed as --sas-expiry
EXPIRY_ISO = "2030-01-01T00:00:00Z"
PROPERTY_BAG = "$.ct=application%2Fjson%3Bcharset%3Dutf-8&$.ce=utf-8"
SENTINEL = "streamcp-test-sentinel"
# Guards against a hung broker or client; never part of an assertion.
HANG_GUARD_S = 120


def sas_token(device_id, key_b64, expiry):
    """Microsoft's documented Python recipe for an IoT Hub device token (no skn)."""
    uri = urllib.parse.quote_plus(f"{HUB}/devices/{device_id}")
    signed = hmac.new(base64.b64decode(key_b64), f"{uri}\n{expiry}".encode(), hashlib.sha256)
    sig = urllib.parse.quote_plus(base64.b64encode(signed.digest()).decode())
    return f"SharedAccessSignature sr={uri}&sig={sig}&se={expiry}"


def username(device_id):
    return f"{HUB}/{device_id}/?api-version={API}"


def broker(*args):
    subprocess.run([ARGS.broker_script, *args, "--dir", ARGS.dir], check=True,
                   stdout=subprocess.DEVNULL)


def port(name):
    with open(os.path.join(ARGS.dir, name)) as f:
        return int(f.read().strip())


def log_text():
    with open(os.path.join(ARGS.dir, "mosquitto.log"), errors="replace") as f:
        return f.read()


def assert_connected_as(test, device_id):
    """The broker saw a CONNECT with client id = device id, MQTT 3.1.1 (logged as p2), clean
    session, keep-alive 60 s and the IoT Hub username."""
    wanted = f" as {device_id} (p2, c1, k60, u'{username(device_id)}')"
    connects = [line for line in log_text().splitlines()
                if "New client connected" in line and device_id in line]
    test.assertTrue(any(wanted in line for line in connects), f"{wanted!r} not in {connects}")


def allow(device_id, key, expiry=EXPIRY):
    broker("passwd", username(device_id), sas_token(device_id, key, expiry))


def sub_command(client_id, topic, *extra):
    return ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port("mosquitto.port")), "-u", "reader",
            "-P", "reader", "-i", client_id, "-q", "1", "-t", topic, *extra]


def open_session(client_id, topic):
    """A fresh persistent session subscribed to `topic` (an old one with its queue is wiped)."""
    subprocess.run(sub_command(client_id, topic, "-E"), check=True, timeout=HANG_GUARD_S)
    subprocess.run(sub_command(client_id, topic, "-E", "-c"), check=True, timeout=HANG_GUARD_S)


def drain_session(client_id, topic, sentinel_topic):
    """Publishes a sentinel behind everything the simulator sent, then reads the session's
    queue up to it: [(topic, payload)] in arrival order, the sentinel excluded."""
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port("mosquitto.port")), "-u",
                    "reader", "-P", "reader", "-q", "1", "-t", sentinel_topic, "-m", SENTINEL],
                   check=True, timeout=HANG_GUARD_S)
    proc = subprocess.Popen(sub_command(client_id, topic, "-c", "-F", "%t\t%p", "-W",
                                        str(HANG_GUARD_S)),
                            stdout=subprocess.PIPE, text=True)
    received = []
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        for line in proc.stdout:
            topic_name, _, payload = line.rstrip("\n").partition("\t")
            if payload == SENTINEL:
                break
            received.append((topic_name, payload))
            if time.monotonic() > deadline:
                raise AssertionError("subscriber hung")
    finally:
        proc.terminate()
        proc.wait()
        proc.stdout.close()
    return received


def simulate(*args, env_cs=None, check=True):
    env = dict(os.environ)
    if env_cs is not None:
        env["STREAMCP_TEST_DEVICE_CS"] = env_cs
    proc = subprocess.run([ARGS.streamcp, "simulate", *args], env=env, capture_output=True,
                          text=True, timeout=HANG_GUARD_S)
    if check and proc.returncode != 0:
        raise AssertionError(f"simulate failed ({proc.returncode}): {proc.stderr}")
    return proc


def expected_lines(*args):
    return simulate(*args).stdout.splitlines()


def device_cs(device_id, key):
    return f"HostName={HUB};DeviceId={device_id};SharedAccessKey={key}"


def new_key(label):
    return base64.b64encode(hashlib.sha256(label.encode()).digest()).decode()


def report_counts(stderr):
    match = re.search(r"(\d+) messages published to \S+, (\d+) acknowledged \(PUBACK\); (\d+) "
                      r"sends, (\d+) republished, (\d+) connects, (\d+) connection losses",
                      stderr)
    assert match, stderr
    keys = ["published", "acknowledged", "sends", "republished", "connects", "losses"]
    return dict(zip(keys, map(int, match.groups())))


class MqttSimulatorTest(unittest.TestCase):
    def shared_identity_run(self, device_id, url, *extra):
        key = new_key(device_id)
        allow(device_id, key)
        topic = f"devices/{device_id}/messages/events/{PROPERTY_BAG}"
        session = f"reader-{device_id}"
        open_session(session, f"devices/{device_id}/#")
        generator = ["--events", "30", "--devices", "3", "--seed", "5"]
        proc = simulate(*generator, "--mqtt", url, "--connection-string-env",
                        "STREAMCP_TEST_DEVICE_CS", "--sas-expiry", EXPIRY_ISO, *extra,
                        env_cs=device_cs(device_id, key))
        counts = report_counts(proc.stderr)
        self.assertEqual(counts["published"], 30)
        self.assertEqual(counts["acknowledged"], 30)
        self.assertEqual(proc.stdout, "")
        received = drain_session(session, f"devices/{device_id}/#", f"devices/{device_id}/end")
        # Exactly the stdout mode's messages, in order, each on the IoT Hub telemetry topic with
        # the JSON property bag; nothing duplicated or extra.
        self.assertEqual([t for t, _ in received], [topic] * 30)
        self.assertEqual([p for _, p in received], expected_lines(*generator))
        assert_connected_as(self, device_id)

    def test_plain_tcp(self):
        self.shared_identity_run("iotsim-plain", f"mqtt://127.0.0.1:{port('mosquitto.port')}")

    def test_tls(self):
        self.shared_identity_run("iotsim-tls", f"mqtts://127.0.0.1:{port('mosquitto.tls.port')}",
                                 "--ca-file", os.path.join(ARGS.dir, "ca.crt"))

    def test_tls_per_device_identities(self):
        generator = ["--events", "24", "--devices", "3", "--seed", "9"]
        lines = expected_lines(*generator)
        ids = sorted({re.search(r'"device":"([0-9a-f]{12})"', line).group(1) for line in lines})
        self.assertEqual(len(ids), 3)
        key = new_key("per-device")
        for device_id in ids:
            allow(device_id, key)
        open_session("reader-per-device", "devices/#")
        proc = simulate(*generator, "--mqtt", f"mqtts://localhost:{port('mosquitto.tls.port')}",
                        "--ca-file", os.path.join(ARGS.dir, "ca.crt"), "--identity",
                        "per-device", "--connection-string-env", "STREAMCP_TEST_DEVICE_CS",
                        "--sas-expiry", EXPIRY_ISO, env_cs=device_cs("unused", key))
        self.assertEqual(report_counts(proc.stderr)["acknowledged"], 24)
        received = drain_session("reader-per-device", "devices/#", "devices/end")
        received = [(t, p) for t, p in received if any(f"devices/{i}/" in t for i in ids)]
        for device_id in ids:
            mine = [line for line in lines if f'"device":"{device_id}"' in line]
            self.assertEqual(
                [p for t, p in received
                 if t == f"devices/{device_id}/messages/events/{PROPERTY_BAG}"], mine)
            assert_connected_as(self, device_id)

    def test_wrong_password_is_refused(self):
        key = new_key("iotsim-refused")
        allow("iotsim-refused", key, expiry=EXPIRY + 1)  # the broker expects another token
        proc = simulate("--events", "3", "--mqtt", f"mqtt://127.0.0.1:{port('mosquitto.port')}",
                        "--connection-string-env", "STREAMCP_TEST_DEVICE_CS", "--sas-expiry",
                        EXPIRY_ISO, env_cs=device_cs("iotsim-refused", key), check=False)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("refused device iotsim-refused", proc.stderr)
        self.assertNotIn(key, proc.stderr)

    def test_usage_errors_name_the_setting_and_never_the_key(self):
        key = new_key("usage")
        service_cs = f"HostName={HUB};SharedAccessKeyName=iothubowner;SharedAccessKey={key}"
        cases = [
            (["--mqtt", "http://127.0.0.1:1"], device_cs("d", key), "mqtt://HOST[:PORT]"),
            (["--mqtt", "mqtt://127.0.0.1:0"], device_cs("d", key), "[1, 65535]"),
            (["--mqtt", "mqtt://127.0.0.1:1", "--ca-file", "x.pem"], device_cs("d", key),
             "--ca-file needs an mqtts:// URL"),
            (["--mqtt", "mqtt://127.0.0.1:1"], service_cs, "a device connection string"),
            (["--mqtt", "mqtt://127.0.0.1:1"], f"HostName={HUB};DeviceId=d", "SharedAccessKey"),
            (["--mqtt", "mqtt://127.0.0.1:1"], "", "unset or empty"),
        ]
        for args, cs, reason in cases:
            proc = simulate("--events", "1", *args, "--connection-string-env",
                            "STREAMCP_TEST_DEVICE_CS", env_cs=cs, check=False)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn(reason, proc.stderr)
            self.assertNotIn(key, proc.stderr)

    def test_untrusted_server_certificate_fails(self):
        key = new_key("iotsim-untrusted")
        allow("iotsim-untrusted", key)
        proc = simulate("--events", "3", "--mqtt",
                        f"mqtts://127.0.0.1:{port('mosquitto.tls.port')}",
                        "--connection-string-env", "STREAMCP_TEST_DEVICE_CS", "--sas-expiry",
                        EXPIRY_ISO, "--retry-for", "1s",
                        env_cs=device_cs("iotsim-untrusted", key), check=False)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("unreachable", proc.stderr)

    def test_sas_renewal_reconnects_without_loss_or_duplicates(self):
        # The anonymous listener: each renewal presents a new token the password file can't know.
        device_id = "iotsim-renewal"
        session = f"reader-{device_id}"
        open_session(session, f"devices/{device_id}/#")
        generator = ["--events", "300", "--devices", "3", "--seed", "17", "--rate", "100"]
        proc = simulate(*generator, "--mqtt", f"mqtt://127.0.0.1:{port('mosquitto.anon.port')}",
                        "--connection-string-env", "STREAMCP_TEST_DEVICE_CS", "--sas-ttl", "1s",
                        env_cs=device_cs(device_id, new_key(device_id)))
        self.assertRegex(proc.stderr, r"[1-9]\d* token renewals")
        counts = report_counts(proc.stderr)
        self.assertEqual(counts["acknowledged"], 300)
        self.assertEqual(counts["republished"], 0)  # renewal waits for in-flight messages
        self.assertGreaterEqual(counts["connects"], 2)
        received = drain_session(session, f"devices/{device_id}/#", f"devices/{device_id}/end")
        self.assertEqual([p for _, p in received], expected_lines(*generator))

    def test_broker_restart_loses_no_acknowledged_message(self):
        device_id = "iotsim-restart"
        key = new_key(device_id)
        allow(device_id, key)
        session = "reader-restart"
        open_session(session, f"devices/{device_id}/#")
        generator = ["--events", "1000", "--devices", "3", "--seed", "13", "--rate", "200"]
        env = dict(os.environ, STREAMCP_TEST_DEVICE_CS=device_cs(device_id, key))
        sim = subprocess.Popen(
            [ARGS.streamcp, "simulate", *generator, "--mqtt",
             f"mqtt://127.0.0.1:{port('mosquitto.port')}", "--connection-string-env",
             "STREAMCP_TEST_DEVICE_CS", "--sas-expiry", EXPIRY_ISO, "--max-in-flight", "16"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Restart once the broker has taken some of the run, well before its end.
            publish_marker = f"Received PUBLISH from {device_id} "
            while log_text().count(publish_marker) < 100:
                self.assertIsNone(sim.poll(), "the simulator ended before the restart")
                time.sleep(0.05)
            broker("stop")
            broker("start")
            _, stderr = sim.communicate(timeout=HANG_GUARD_S)
        finally:
            if sim.poll() is None:
                sim.kill()
        self.assertEqual(sim.returncode, 0, stderr)
        counts = report_counts(stderr)
        self.assertEqual(counts["acknowledged"], 1000, stderr)
        self.assertGreaterEqual(counts["losses"], 1, stderr)
        self.assertGreaterEqual(counts["connects"], 2, stderr)
        received = drain_session(session, f"devices/{device_id}/#", f"devices/{device_id}/end")
        payloads = [p for _, p in received]
        expected = expected_lines(*generator)
        # Every message arrives (at least once: an unacknowledged one may be published again).
        self.assertEqual(set(payloads), set(expected))
        self.assertLessEqual(len(payloads) - len(expected), counts["republished"])
        print(f"restart run: {counts}, {len(payloads)} received for {len(expected)} sent")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--streamcp", required=True)
    parser.add_argument("--broker-script", required=True)
    parser.add_argument("--dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
