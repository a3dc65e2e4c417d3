#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`[[sinks]] type = "webhook"` run by `streamcp run` against a real HTTP server on loopback.

The server (Python's http.server, in this process) follows a script: it answers 429 with
Retry-After, then 500, then closes the connection without answering, and is stopped and
restarted on the same port in the middle of the run. The pipeline's file sink is the reference:
every anomaly in it must arrive in some 2xx-answered request, none may be lost, and every
request must carry `streamcp-record-ids` matching its records (so retries repeat the same ids).

    webhook_sink_test.py --streamcp BIN
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

# The `streamcp run` configs the command-line tests share.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pipeline"))
from job_toml import SEED_QUERY_KEYS, file_job  # noqa: E402

ARGS = None
RETRY_AFTER_S = 2
# Guards against a hung run; never part of an assertion.
HANG_GUARD_S = 180


def record_id(line):
    """pipeline::record_id, computed independently: the first 16 bytes of SHA-256, in hex."""
    return hashlib.sha256(line.encode()).hexdigest()[:32]


class Endpoint:
    """A scripted webhook receiver. `script` maps a request number (from 1) to what it gets:
    an int status, ('retry-after', status), or 'close'; unlisted requests get 200."""

    def __init__(self, script=None):
        self.script = dict(script or {})
        self.requests = []  # (time, status or None, ids, body)
        self.lock = threading.Lock()
        self.server = None
        self.port = None

    def start(self, port=0):
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Slack's endpoint

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ids = self.headers.get("streamcp-record-ids", "")
                with endpoint.lock:
                    number = len(endpoint.requests) + 1
                    action = endpoint.script.get(number, 200)
                    status = action[1] if isinstance(action, tuple) else action
                    endpoint.requests.append(
                        [time.monotonic(), None if action == "close" else status, ids, body,
                         self.headers.get("Content-Type")])
                if action == "close":
                    self.close_connection = True
                    return
                self.send_response(status)
                if isinstance(action, tuple):
                    self.send_header("Retry-After", str(RETRY_AFTER_S))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def delivered(self):
        with self.lock:
            return [r for r in self.requests if r[1] is not None and 200 <= r[1] < 300]


def simulate(path):
    subprocess.run([ARGS.streamcp, "simulate", "-n", "4", "--length", "3h", "--inject",
                    "3@40m:75-80", "--inject", "1@2h:-5-0", "-o", path], check=True)


def write_config(directory, webhook_options, checkpoint=True):
    config = os.path.join(directory, "job.toml")
    with open(config, "w") as f:
        f.write(file_job(f"{directory}/in.jsonl", f"{directory}/anomalies.jsonl",
                         {**SEED_QUERY_KEYS, "only_anomalies": True, "project": True}))
        f.write(f"""
[[sinks]]
type = "webhook"
url_env = "STREAMCP_TEST_WEBHOOK_URL"
{webhook_options}
""")
        if checkpoint:
            # Frequent checkpoints: one taken before an alert was delivered would lose it.
            f.write(f'\n[checkpoint]\npath = "{directory}/job.sqlite"\nevery = 50\n'
                    'interval = "1s"\n')
    return config


def run_env(url):
    env = dict(os.environ)
    env.pop("STREAMCP_TEST_WEBHOOK_URL", None)
    if url is not None:
        env["STREAMCP_TEST_WEBHOOK_URL"] = url
    return env


def reference(directory):
    with open(os.path.join(directory, "anomalies.jsonl")) as f:
        return {record_id(line): line for line in f.read().splitlines()}


class WebhookSinkTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="streamcp-webhook-")
        self.dir = self.tmp.name
        simulate(os.path.join(self.dir, "in.jsonl"))

    def tearDown(self):
        self.tmp.cleanup()

    def assert_requests_match_records(self, endpoint, lines):
        """Each request's ids are its records' ids, in order, and its body holds exactly them."""
        for _, _, ids, body, content_type in endpoint.requests:
            self.assertEqual(content_type, "application/json")
            records = json.loads(body)
            id_list = ids.split(",")
            self.assertEqual(len(id_list), len(records))
            for rid, record in zip(id_list, records):
                self.assertIn(rid, lines, "an id that is no anomaly's")
                self.assertEqual(json.loads(lines[rid]), record)

    def test_anomalies_arrive_through_429_500_closed_connections_and_a_restart(self):
        endpoint = Endpoint({1: ("retry-after", 429), 2: 500, 3: "close"})
        endpoint.start()
        config = write_config(self.dir, 'max_batch = 3\nrate = 2\nburst = 1\nmax_buffered = 6')
        run = subprocess.Popen([ARGS.streamcp, "run", "--quiet", config],
                               env=run_env(f"http://127.0.0.1:{endpoint.port}/hook/SECRET"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Restart the endpoint mid-run: down for 3 s once a few batches got through.
        deadline = time.monotonic() + HANG_GUARD_S
        while len(endpoint.delivered()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        port = endpoint.port
        endpoint.stop()
        stopped_at = time.monotonic()
        time.sleep(3)
        requests_before_restart = len(endpoint.requests)
        endpoint.start(port)
        out, err = run.communicate(timeout=HANG_GUARD_S)
        endpoint.stop()
        self.assertEqual(run.returncode, 0, err)
        self.assertNotIn("SECRET", out + err)

        lines = reference(self.dir)
        self.assertGreaterEqual(len(lines), 10, "the injected shifts must raise anomalies")
        self.assert_requests_match_records(endpoint, lines)
        delivered_ids = [rid for r in endpoint.delivered() for rid in r[2].split(",")]
        self.assertEqual(set(delivered_ids), set(lines), "every anomaly arrives, none other")
        # The output file's order is the order of delivery (one batch in flight at a time).
        self.assertEqual(delivered_ids, list(lines))

        requests = endpoint.requests
        # A refused or unanswered batch is sent again unchanged: same ids, same body.
        for number in (1, 2, 3):
            self.assertEqual(requests[number][2:4], requests[number - 1][2:4])
        self.assertGreaterEqual(requests[1][0] - requests[0][0], RETRY_AFTER_S - 0.05,
                                "Retry-After honoured")
        # Requests resumed after the restart, the first of them repeating an undelivered batch.
        self.assertGreater(len(requests), requests_before_restart)
        self.assertGreater(requests[requests_before_restart][0], stopped_at)
        # Rate limit: 2 requests/s with a burst of 1, so any j - i requests span at least
        # (j - i - 1) / 2 s; one more request is allowed for the arrival jitter seen by the
        # server. Not counted: libcurl itself resends at once when a reused connection closes
        # without an answer (after request 3), before reporting an error.
        times = [r[0] for n, r in enumerate(requests)
                 if not (n == 3 and requests[3][0] - requests[2][0] < 0.1)]
        for i in range(len(times)):
            for j in range(i + 1, len(times)):
                self.assertLessEqual(j - i, 2 * (times[j] - times[i]) + 2, (i, j, times))

    def test_checkpoint_waits_for_delivery_across_kill_and_restart(self):
        # First run: the endpoint fails every request; the run is killed (SIGKILL) meanwhile.
        failing = Endpoint({n: 503 for n in range(1, 10000)})
        failing.start()
        config = write_config(self.dir, 'max_batch = 5\nrate = 20\nburst = 5\nmax_buffered = 5')
        run = subprocess.Popen([ARGS.streamcp, "run", "--quiet", config],
                               env=run_env(f"http://127.0.0.1:{failing.port}/"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + HANG_GUARD_S
        while len(failing.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # checkpoints were due meanwhile (interval 1s)
        run.send_signal(signal.SIGKILL)
        run.wait()
        failing.stop()
        self.assertEqual(failing.delivered(), [])
        # Second run resumes from the checkpoint: nothing the endpoint never accepted is skipped.
        working = Endpoint()
        working.start()
        done = subprocess.run([ARGS.streamcp, "run", "--quiet", config],
                              env=run_env(f"http://127.0.0.1:{working.port}/"),
                              capture_output=True, text=True, timeout=HANG_GUARD_S)
        working.stop()
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = reference(self.dir)
        self.assertGreaterEqual(len(lines), 10)
        self.assert_requests_match_records(working, lines)
        delivered = {rid for r in working.delivered() for rid in r[2].split(",")}
        self.assertEqual(delivered, set(lines))

    def test_slack_format_summarises_each_batch(self):
        endpoint = Endpoint()
        endpoint.start()
        config = write_config(self.dir, 'format = "slack"\nmax_batch = 50\nrate = 50\nburst = 50',
                              checkpoint=False)
        done = subprocess.run([ARGS.streamcp, "run", "--quiet", config],
                              env=run_env(f"http://127.0.0.1:{endpoint.port}/"),
                              capture_output=True, text=True, timeout=HANG_GUARD_S)
        endpoint.stop()
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = reference(self.dir)
        summaries = []
        for _, status, ids, body, _ in endpoint.requests:
            message = json.loads(body)
            self.assertEqual(list(message), ["text"])
            records = [lines[rid] for rid in ids.split(",")]
            text = message["text"].splitlines()
            self.assertEqual(text[0], f"streamcp: {len(records)} anomal"
                             + ("y" if len(records) == 1 else "ies"))
            for row, line in zip(text[1:], records):
                record = json.loads(line)
                # Numbers appear as the output wrote them.
                temp = re.search(r'"temp":([^,}]+)', line).group(1)
                score = re.search(r'"AnomalyScore":([^,}]+)', line).group(1)
                self.assertEqual(row, f"- {record['device']} at {record['datetime']}: temp "
                                 f"{temp}, score {score}")
            summaries.extend(ids.split(","))
        self.assertEqual(summaries, list(lines))

    def test_unset_url_is_refused_unless_optional(self):
        config = write_config(self.dir, "", checkpoint=False)
        refused = subprocess.run([ARGS.streamcp, "run", "--quiet", config], env=run_env(""),
                                 capture_output=True, text=True, timeout=HANG_GUARD_S)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("sinks[1].url_env", refused.stderr)
        self.assertIn("STREAMCP_TEST_WEBHOOK_URL", refused.stderr)
        self.assertEqual(reference(self.dir), {}, "refused at start, before any output")

        config = write_config(self.dir, "optional = true", checkpoint=False)
        skipped = subprocess.run([ARGS.streamcp, "run", "--quiet", config], env=run_env(None),
                                 capture_output=True, text=True, timeout=HANG_GUARD_S)
        self.assertEqual(skipped.returncode, 0, skipped.stderr)
        self.assertIn("sinks[1] (webhook) skipped", skipped.stderr)
        self.assertGreaterEqual(len(reference(self.dir)), 10)

    def test_a_permanent_refusal_fails_the_run_without_printing_the_url(self):
        endpoint = Endpoint({n: 404 for n in range(1, 100)})
        endpoint.start()
        config = write_config(self.dir, "", checkpoint=False)
        done = subprocess.run([ARGS.streamcp, "run", "--quiet", config],
                              env=run_env(f"http://127.0.0.1:{endpoint.port}/T000/SECRET"),
                              capture_output=True, text=True, timeout=HANG_GUARD_S)
        endpoint.stop()
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("HTTP 404", done.stderr)
        self.assertNotIn("SECRET", done.stdout + done.stderr)
        self.assertEqual(len(endpoint.requests), 1, "a 404 is not retried")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--streamcp", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest])
