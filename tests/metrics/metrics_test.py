#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`streamcp detect --metrics-listen` against the real tools (docs/operations.md).

Each case feeds a job through a pipe and keeps the pipe open, so the job waits for more input
while the test looks at it; then it closes the pipe and checks the job's final summary.

  exposition   /metrics mid-run: counts of what was fed, rejects by reason, promtool check
  run_config   the same through `streamcp run` with `[metrics] listen` and two sinks
  prometheus   a real Prometheus scrapes the job; PromQL over its HTTP API gives the counts
  status_page  headless Chromium renders /, writes a screenshot; its numbers equal /metrics

A missing tool (promtool, prometheus, chromium) skips its case with exit code 77.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SKIP = 77
ROUNDS = 60  # seconds to wait for a job or a scrape

QUERY = ["--value", "temp", "--timestamp", "datetime", "--partition-by", "device",
         "--confidence", "80", "--history", "60", "--duration", "10m",
         "--out-of-order-action", "drop", "--only-anomalies", "--quiet"]
BAD_LINES = [
    "{not json",  # malformed_json
    '{"device":"bad","temp":"hot","datetime":"2019-11-18T19:00:00Z"}',  # bad_value
    # out_of_order: device 1's first reading time again, after its later ones (dropped)
]
EXPECTED_REJECTS = {"malformed_json": 1, "bad_value": 1, "out_of_order": 1}


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def need(tool):
    if shutil.which(tool) is None:
        print(f"SKIP: {tool} not found (scripts/install-deps installs it)", file=sys.stderr)
        sys.exit(SKIP)


def events(streamcp):
    """10 devices every 10 s for about 67 minutes; device 3 jumps to 75-80 after 40 minutes."""
    lines = subprocess.run(
        [streamcp, "simulate", "--devices", "10", "--events", "4000", "--inject", "3@40m:75-80"],
        check=True, capture_output=True, text=True).stdout.splitlines()
    late = json.loads(lines[0])
    late["temp"] = 21.0
    return lines[:2000] + BAD_LINES + [json.dumps(late)] + lines[2000:]


def parse_metrics(text):
    """{(name, frozenset(labels)): value} from the Prometheus text format."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if not match:
            fail(f"not a sample line: {line!r}")
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


class Job:
    """`streamcp detect` reading from a pipe this test holds open."""

    def __init__(self, streamcp, workdir, command=None):
        self.lines = events(streamcp)
        self.stderr = open(os.path.join(workdir, "detect.stderr"), "w+")
        command = command or ["detect", *QUERY, "--metrics-listen", "127.0.0.1:0",
                              "--output", os.path.join(workdir, "out.jsonl")]
        self.process = subprocess.Popen([streamcp, *command], stdin=subprocess.PIPE,
                                        stderr=self.stderr, text=True)
        self.port = self._port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process.stdin.write("\n".join(self.lines) + "\n")
        self.process.stdin.flush()

    def _port(self):
        for _ in range(ROUNDS * 10):
            self.stderr.seek(0)
            match = re.search(r"metrics at http://127\.0\.0\.1:(\d+)/metrics", self.stderr.read())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                fail("streamcp exited before listening")
            time.sleep(0.1)
        fail("streamcp never printed its metrics address")

    def metrics_when_idle(self):
        """/metrics once every line fed was read; the job then waits on the open pipe."""
        for _ in range(ROUNDS * 10):
            samples = parse_metrics(get(self.url + "/metrics"))
            if samples[("streamcp_input_events_total", frozenset())] == len(self.lines):
                return samples
            time.sleep(0.1)
        fail(f"the job did not read the {len(self.lines)} lines fed")

    def finish(self):
        """Closes the pipe; returns the summary's counts."""
        self.process.stdin.close()
        if self.process.wait(timeout=ROUNDS) != 0:
            fail(f"streamcp exited with {self.process.returncode}")
        self.stderr.seek(0)
        match = re.search(r"read (\d+), written (\d+), filtered (\d+), rejected (\d+), "
                          r"anomalies (\d+)", self.stderr.read())
        if not match:
            fail("no summary line")
        return dict(zip(["read", "written", "filtered", "rejected", "anomalies"],
                        map(int, match.groups())))


def counts_of(samples, sink="0"):
    plain = lambda name: samples[(name, frozenset())]  # noqa: E731
    rejects = {dict(labels)["reason"]: value for (name, labels), value in samples.items()
               if name == "streamcp_input_deserialization_errors_total"}
    return {
        "read": plain("streamcp_input_events_total"),
        "written": samples[("streamcp_output_events_total", frozenset({("sink", sink)}))],
        "filtered": plain("streamcp_filtered_events_total"),
        "rejected": sum(rejects.values()),
        "anomalies": plain("streamcp_anomalies_total"),
    }, {reason: n for reason, n in rejects.items() if n}


def check_counts(samples, job):
    counts, rejects = counts_of(samples)
    if counts["read"] != counts["written"] + counts["filtered"] + counts["rejected"]:
        fail(f"read != written + filtered + rejected on /metrics: {counts}")
    if rejects != EXPECTED_REJECTS:
        fail(f"rejects by reason {rejects}, expected {EXPECTED_REJECTS}")
    if samples[("streamcp_late_input_events_total", frozenset({("action", "dropped")}))] != 1:
        fail("the late event is not counted as dropped")
    if counts["anomalies"] < 1:
        fail("no anomaly counted; device 3's jump should raise some")
    if samples[("streamcp_partitions", frozenset())] != 10:
        fail("streamcp_partitions is not the 10 devices")
    if samples[("streamcp_input_bytes_total", frozenset())] != sum(map(len, job.lines)):
        fail("streamcp_input_bytes_total is not the bytes fed")
    return counts


def case_exposition(args, workdir):
    need("promtool")
    job = Job(args.streamcp, workdir)
    samples = job.metrics_when_idle()
    counts = check_counts(samples, job)
    check = subprocess.run(["promtool", "check", "metrics"], input=get(job.url + "/metrics"),
                           capture_output=True, text=True)
    if check.returncode != 0:
        fail(f"promtool check metrics: {check.stdout}{check.stderr}")
    for name in ["process_cpu_seconds_total", "process_resident_memory_bytes",
                 "process_open_fds", "process_start_time_seconds"]:
        if (name, frozenset()) not in samples:
            fail(f"{name} missing")
    summary = job.finish()
    if summary != counts:
        fail(f"summary {summary} differs from the metrics {counts}")
    print(f"ok: mid-run metrics equal the summary {summary}; promtool check metrics passed")


RUN_CONFIG = """
[source]
type = "stdin"
[query]
value = "temp"
timestamp = "datetime"
partition_by = "device"
confidence = 80
history = 60
duration = "10m"
out_of_order_action = "drop"
only_anomalies = true
[[sinks]]
type = "file"
path = "{workdir}/first.jsonl"
[[sinks]]
type = "file"
path = "{workdir}/second.jsonl"
[metrics]
listen = "127.0.0.1:0"
"""


def case_run_config(args, workdir):
    config = os.path.join(workdir, "job.toml")
    with open(config, "w") as f:
        f.write(RUN_CONFIG.format(workdir=workdir))
    job = Job(args.streamcp, workdir, ["run", config, "--quiet"])
    samples = job.metrics_when_idle()
    counts = check_counts(samples, job)
    second, _ = counts_of(samples, sink="1")
    if second != counts:
        fail(f"sink 1 counts {second} differ from sink 0's {counts}")
    summary = job.finish()
    if summary != counts:
        fail(f"summary {summary} differs from the metrics {counts}")
    print(f"ok: `run` with [metrics] listen serves the counts of both sinks {summary}")


def promql(prometheus, query):
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    result = json.loads(get(url))
    if result["status"] != "success":
        fail(f"{query}: {result}")
    return result["data"]["result"]


def case_prometheus(args, workdir):
    need("prometheus")
    with open(os.path.join(args.prometheus_dir, "prometheus.port")) as f:
        prometheus = f"http://127.0.0.1:{f.read().strip()}"
    job = Job(args.streamcp, workdir)
    samples = job.metrics_when_idle()
    counts = check_counts(samples, job)
    target = f"127.0.0.1:{job.port}"
    targets = os.path.join(args.prometheus_dir, "targets.json")
    with open(targets + ".tmp", "w") as f:
        json.dump([{"targets": [target]}], f)
    os.replace(targets + ".tmp", targets)
    at = f'instance="{target}"'
    queries = {
        "read": f"streamcp_input_events_total{{{at}}}",
        "written": f'streamcp_output_events_total{{sink="0",{at}}}',
        "filtered": f"streamcp_filtered_events_total{{{at}}}",
        "rejected": f"sum(streamcp_input_deserialization_errors_total{{{at}}})",
        "anomalies": f"streamcp_anomalies_total{{{at}}}",
    }
    seen = {}
    for _ in range(ROUNDS * 2):
        for key, query in queries.items():
            result = promql(prometheus, query)
            seen[key] = float(result[0]["value"][1]) if result else None
        if seen == counts:
            break
        time.sleep(0.5)
    else:
        fail(f"Prometheus returned {seen}, the job's metrics are {counts}")
    up = promql(prometheus, f'up{{instance="{target}"}}')
    if not up or up[0]["value"][1] != "1":
        fail(f"up for the job is {up}")
    summary = job.finish()
    if summary != counts:
        fail(f"summary {summary} differs from Prometheus' {seen}")
    with open(targets, "w") as f:
        json.dump([], f)
    print(f"ok: PromQL over Prometheus' API returned the job's counts {seen}")


def chromium(args, *flags):
    profile = tempfile.mkdtemp(prefix="streamcp-chromium-")
    try:
        return subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}", *flags],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def case_status_page(args, workdir):
    need("chromium")
    job = Job(args.streamcp, workdir)
    samples = job.metrics_when_idle()
    check_counts(samples, job)
    dom = chromium(args, "--dump-dom", job.url + "/").stdout
    after = parse_metrics(get(job.url + "/metrics"))
    cells = re.findall(r'data-metric="(streamcp_\w+)"(?: data-(?:reason|action)="(\w+)")?>([^<]*)<',
                       dom)
    if len(cells) < 15:
        fail(f"the page shows {len(cells)} metric cells:\n{dom[:2000]}")
    for metric, label_value, text in cells:
        if metric == "streamcp_watermark_delay_seconds":
            continue  # moves with the wall clock
        label_name = {"streamcp_input_deserialization_errors_total": "reason",
                      "streamcp_late_input_events_total": "action",
                      "streamcp_output_events_total": "sink"}.get(metric)
        labels = frozenset()
        if label_name:
            labels = frozenset({(label_name, label_value or "0")})
        if float(text) != after[(metric, labels)]:
            fail(f"page shows {metric}{dict(labels)} = {text}, /metrics {after[(metric, labels)]}")
    if dom.count("<polyline") < 2 or 'class="threshold"' not in dom:
        fail("no key chart with a threshold line on the page")
    anomaly_rows = re.findall(r"<tr><td>\d{4}-\d\d-\d\dT[^<]*Z</td>", dom)
    if not anomaly_rows:
        fail("no row in the last anomalies table")
    if re.search(r'(src|href)="https?://', dom):
        fail("the page loads an external asset")
    shot = os.path.join(args.out, "status-page.png")
    result = chromium(args, f"--screenshot={shot}", "--window-size=1200,900", job.url + "/")
    if not os.path.exists(shot) or os.path.getsize(shot) < 5000:
        fail(f"no screenshot written: {result.stderr[-2000:]}")
    job.finish()
    print(f"ok: {len(cells)} numbers on the page equal /metrics, {len(anomaly_rows)} anomalies "
          f"listed; screenshot {shot}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=["exposition", "run_config", "prometheus", "status_page"])
    parser.add_argument("--streamcp", required=True)
    parser.add_argument("--prometheus-dir", help="scripts/prometheus-server's run directory")
    parser.add_argument("--out", default=".", help="where the status page's screenshot goes")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="streamcp-metrics-") as workdir:
        globals()[f"case_{args.case}"](args, workdir)


if __name__ == "__main__":
    main()
