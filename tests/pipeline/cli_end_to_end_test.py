#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of the streamcp command: the README pipe, exit codes, counts, rejects,
checkpoint refusals, `run CONFIG.toml` and the archive. Standard library only.

    cli_end_to_end_test.py PATH/TO/streamcp
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from job_toml import SEED_QUERY_KEYS, file_job

STREAMCP = ""
SEED_QUERY = ["--value", "temp", "--timestamp", "datetime", "--partition-by", "device",
              "--confidence", "80", "--history", "12", "--duration", "30m"]


def streamcp(*args, stdin=None):
    return subprocess.run([STREAMCP, *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def summary(stderr):
    """The counts of the end-of-run line: read, written, filtered, rejected, anomalies."""
    line = [l for l in stderr.splitlines() if l.startswith("streamcp ")][-1]
    fields = line.split(": ", 1)[1].split(", ")
    return {name: int(value) for name, value in (f.split(" ") for f in fields)}


class ReadmePipe(unittest.TestCase):
    def test_simulate_into_detect_prints_the_seed_shape(self):
        sim = streamcp("simulate", "--devices", "3", "--length", "2h", "--inject", "3@40m:75-80")
        self.assertEqual(sim.returncode, 0, sim.stderr)
        det = streamcp("detect", *SEED_QUERY, "--only-anomalies", "--project", stdin=sim.stdout)
        self.assertEqual(det.returncode, 0, det.stderr)
        rows = [json.loads(line) for line in det.stdout.splitlines()]
        self.assertTrue(rows)
        for row in rows:
            self.assertEqual(list(row), ["datetime", "device", "temp", "AnomalyScore"])
        counts = summary(det.stderr)
        self.assertEqual(counts["read"], 3 * 720)
        self.assertEqual(counts["written"], len(rows))
        self.assertEqual(counts["read"], counts["written"] + counts["filtered"] + counts["rejected"])
        shifted = sim.stdout.splitlines()[2]
        device3 = json.loads(shifted)["device"]
        self.assertIn(device3, {row["device"] for row in rows if row["datetime"] >= "2019-11-18T19:40"})

    def test_simulate_is_deterministic(self):
        a = streamcp("simulate", "--events", "500", "--seed", "9").stdout
        b = streamcp("simulate", "--events", "500", "--seed", "9").stdout
        c = streamcp("simulate", "--events", "500", "--seed", "10").stdout
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertEqual(len(a.splitlines()), 500)


class DetectBehaviour(unittest.TestCase):
    def test_every_line_out_in_order_with_input_bytes_kept(self):
        lines = ['{"temp":20.50,"datetime":"2019-11-18T19:00:00.5+01:00","extra":{"a":[1,2]}}',
                 '{"temp":21,"datetime":"2019-11-18T18:00:10Z"}',
                 'not json',
                 '{"datetime":"2019-11-18T18:00:20Z"}']
        det = streamcp("detect", *SEED_QUERY, stdin="\n".join(lines) + "\n")
        self.assertEqual(det.returncode, 0, det.stderr)
        out = det.stdout.splitlines()
        self.assertEqual(len(out), 3)
        self.assertTrue(out[0].startswith(lines[0][:-1] + ',"Score":'))
        self.assertTrue(out[2].endswith('"Score":null,"IsAnomaly":null}'))
        self.assertEqual(summary(det.stderr), {"read": 4, "written": 3, "filtered": 0,
                                               "rejected": 1, "anomalies": 0})

    def test_epoch_timestamps(self):
        det = streamcp("detect", "--value", "v", "--timestamp", "t", "--timestamp-format",
                       "epoch-ms", "--confidence", "80", "--history", "4", "--duration", "1m",
                       stdin='{"v":1,"t":1574103600000}\n{"v":1,"t":"1574103615000"}\n')
        self.assertEqual(det.returncode, 0, det.stderr)
        self.assertEqual(summary(det.stderr)["written"], 2)

    def test_rejects_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            rejects = os.path.join(tmp, "rejects.jsonl")
            det = streamcp("detect", *SEED_QUERY, "--rejects", rejects,
                           stdin='{"temp":1e39,"datetime":"2019-11-18T19:00:00Z"}\n{oops\n')
            self.assertEqual(det.returncode, 0, det.stderr)
            with open(rejects) as f:
                records = [json.loads(line) for line in f]
            self.assertEqual([r["reason"] for r in records], ["value_out_of_range", "malformed_json"])
            self.assertEqual([r["line"] for r in records], [1, 2])
            self.assertEqual(records[1]["raw"], "{oops")


class Errors(unittest.TestCase):
    def test_bad_arguments_exit_2(self):
        for args in (["detect", *SEED_QUERY[:-1], "30x"],
                     ["detect", *SEED_QUERY[:6], "101", *SEED_QUERY[8:]],
                     ["detect", "--value", "temp"],
                     ["simulate", "--events", "5", "--inject", "9@1m:1-2"],
                     ["nonsense"]):
            result = streamcp(*args, stdin="")
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertTrue(result.stderr.strip(), args)

    def test_checkpoint_with_stdin_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = streamcp("detect", *SEED_QUERY, "--checkpoint",
                              os.path.join(tmp, "c.sqlite"), stdin="")
            self.assertEqual(result.returncode, 2)
            self.assertIn("seekable", result.stderr)

    def test_missing_input_exits_1(self):
        result = streamcp("detect", *SEED_QUERY, "-i", "/nonexistent/in.jsonl")
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/in.jsonl", result.stderr)


class Checkpoints(unittest.TestCase):
    def test_rerun_after_a_clean_end_changes_nothing_and_other_queries_are_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "in.jsonl")
            out = os.path.join(tmp, "out.jsonl")
            cp = os.path.join(tmp, "cp.sqlite")
            self.assertEqual(streamcp("simulate", "--events", "3000", "-o", data).returncode, 0)
            args = ["detect", *SEED_QUERY, "-i", data, "-o", out, "--checkpoint", cp,
                    "--checkpoint-every", "500"]
            first = streamcp(*args)
            self.assertEqual(first.returncode, 0, first.stderr)
            with open(out) as f:
                expected = f.read()
            second = streamcp(*args)
            self.assertEqual(second.returncode, 0, second.stderr)
            with open(out) as f:
                self.assertEqual(f.read(), expected)
            self.assertEqual(summary(second.stderr), summary(first.stderr))
            other = streamcp(*[a if a != "80" else "90" for a in args])
            self.assertEqual(other.returncode, 1)
            self.assertIn("another query", other.stderr)


class Threads(unittest.TestCase):
    """--threads only spreads keys over threads: bytes, rejects and counts stay the same."""

    def input_file(self, tmp):
        sim = streamcp("simulate", "--devices", "40", "--events", "6000", "--inject", "3@1h:75-80")
        self.assertEqual(sim.returncode, 0, sim.stderr)
        lines = sim.stdout.splitlines()
        for i in range(0, len(lines) - 1, 7):  # neighbours swapped: the ordering stage holds
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        lines[100:100] = ["not json", '{"temp":"hot","datetime":"2019-11-18T19:00:00Z"}']
        path = os.path.join(tmp, "in.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def run_detect(self, tmp, data, threads, *extra, name=None):
        out = os.path.join(tmp, f"{name or threads}.out.jsonl")
        rejects = os.path.join(tmp, f"{name or threads}.rejects.jsonl")
        det = streamcp("detect", *SEED_QUERY, "--out-of-order-tolerance", "20s", "-i", data,
                       "-o", out, "--rejects", rejects, "--threads", str(threads), *extra)
        self.assertEqual(det.returncode, 0, det.stderr)
        with open(out) as f, open(rejects) as g:
            return f.read(), g.read(), summary(det.stderr)

    def test_same_output_rejects_and_counts_for_any_thread_count(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = self.input_file(tmp)
            one = self.run_detect(tmp, data, 1)
            self.assertEqual(one[2]["rejected"], 2)
            self.assertEqual(len(one[0].splitlines()), 6000)
            for threads in (2, 4):
                self.assertEqual(self.run_detect(tmp, data, threads), one, threads)
            projected = self.run_detect(tmp, data, 1, "--only-anomalies", "--project")
            self.assertGreater(projected[2]["anomalies"], 0)
            self.assertEqual(self.run_detect(tmp, data, 2, "--only-anomalies", "--project"),
                             projected)

    def test_checkpoint_resumes_under_another_thread_count(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = self.input_file(tmp)
            expected = self.run_detect(tmp, data, 1)
            cp = os.path.join(tmp, "cp.sqlite")
            # Each rerun resumes a clean end: the same bytes, whichever thread count made it.
            for threads in (2, 1, 3):
                got = self.run_detect(tmp, data, threads, "--checkpoint", cp,
                                      "--checkpoint-every", "500", name="checkpointed")
                self.assertEqual(got[:2], expected[:2], threads)

    def test_thread_count_out_of_range_exits_2(self):
        for threads in ("0", "65"):
            result = streamcp("detect", *SEED_QUERY, "--threads", threads, stdin="")
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("threads", result.stderr)


class RobustDetector(unittest.TestCase):
    """--detector robust: the recommended detector behind the same flags, threads and
    checkpoints; confidence and history optional; its numbers labelled as not ASA's."""

    # LIMIT DURATION = its history (450) x the simulator's 10 s: no imputation between readings.
    QUERY = ["--value", "temp", "--timestamp", "datetime", "--partition-by", "device",
             "--duration", "75m", "--detector", "robust"]

    def input_file(self, tmp):
        path = os.path.join(tmp, "in.jsonl")
        sim = streamcp("simulate", "--devices", "30", "--events", "30000", "--inject",
                       "3@1h:75-80", "--inject", "7@2h:40-45", "-o", path)
        self.assertEqual(sim.returncode, 0, sim.stderr)
        return path

    def run_detect(self, tmp, data, name, *extra):
        out = os.path.join(tmp, f"{name}.out.jsonl")
        det = streamcp("detect", *self.QUERY, "-i", data, "-o", out, "--quiet", *extra)
        self.assertEqual(det.returncode, 0, det.stderr)
        with open(out) as f:
            return f.read(), det.stderr

    def test_defaults_and_a_summary_that_says_these_are_not_asas_numbers(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = self.input_file(tmp)
            text, stderr = self.run_detect(tmp, data, "default")
            given, _ = self.run_detect(tmp, data, "given", "--confidence", "90", "--history", "450")
            self.assertEqual(text, given)  # the recommended detector's defaults
            self.assertIn("detector robust", stderr)
            self.assertIn("not ASA's numbers", stderr)
            counts = summary(stderr)
            rows = [json.loads(line) for line in text.splitlines()]
            self.assertEqual(len(rows), 30000)
            self.assertEqual(counts["anomalies"], sum(r["IsAnomaly"] == 1 for r in rows))
            self.assertGreater(counts["anomalies"], 0)
            asa = streamcp("detect", *SEED_QUERY, "-i", data, "--quiet")
            self.assertNotIn("not ASA's numbers", asa.stderr)
            self.assertIn("not ASA's numbers", streamcp("detect", "--help").stdout)

    def test_asa_needs_confidence_and_history_and_ranges_are_named(self):
        for args, message in (
                (["--detector", "asa", "--value", "v", "--timestamp", "t", "--duration", "1m"],
                 "confidence (--confidence, query.confidence) is required with detector asa"),
                ([*self.QUERY, "--confidence", "100"],
                 "confidence = 100 is out of range for detector robust: allowed (0, 100)"),
                ([*self.QUERY, "--history", "3"],
                 "history = 3 is out of range for detector robust"),
                ([*self.QUERY, "--fractional-confidence"], "detector asa only"),
                ([*SEED_QUERY, "--detector", "nab"], "'nab' is unknown: allowed asa, robust")):
            result = streamcp("detect", *args, stdin="")
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertIn(message, result.stderr)

    def test_threads_and_a_killed_run_resumed_from_its_checkpoint_change_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = self.input_file(tmp)
            expected, _ = self.run_detect(tmp, data, "one")
            self.assertEqual(self.run_detect(tmp, data, "three", "--threads", "3")[0], expected)
            out = os.path.join(tmp, "killed.out.jsonl")
            cp = os.path.join(tmp, "cp.sqlite")
            args = [STREAMCP, "detect", *self.QUERY, "-i", data, "-o", out, "--quiet",
                    "--checkpoint", cp, "--checkpoint-every", "1000"]
            # Killed with SIGKILL once a third of the output is written (after checkpoints),
            # resumed under another thread count.
            run = subprocess.Popen(args + ["--threads", "3"], stderr=subprocess.DEVNULL)
            while run.poll() is None and (
                    not os.path.exists(out) or os.path.getsize(out) < len(expected) // 3):
                time.sleep(0.002)
            run.kill()
            self.assertEqual(run.wait(), -signal.SIGKILL, "the run ended before the kill")
            resumed = subprocess.run(args + ["--threads", "1"], capture_output=True, text=True,
                                     timeout=120)
            self.assertEqual(resumed.returncode, 0, resumed.stderr)
            with open(out) as f:
                self.assertEqual(f.read(), expected)

    def test_a_checkpoint_resumes_only_under_its_own_detector(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "in.jsonl")
            self.assertEqual(streamcp("simulate", "--events", "600", "-o", data).returncode, 0)
            cp = os.path.join(tmp, "cp.sqlite")
            asa = [*SEED_QUERY, "-i", data, "-o", os.path.join(tmp, "out.jsonl"),
                   "--checkpoint", cp]
            self.assertEqual(streamcp("detect", *asa).returncode, 0)
            robust = streamcp("detect", *asa, "--detector", "robust")
            self.assertEqual(robust.returncode, 1)
            self.assertIn("another query", robust.stderr)
            self.assertIn("detector: asa in the checkpoint, robust in this run", robust.stderr)
            self.assertEqual(streamcp("detect", *asa).returncode, 0)

    def test_run_config_detector_key_equals_the_flag(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "in.jsonl")
            self.assertEqual(streamcp("simulate", "--events", "3000", "--inject", "2@30m:75-80",
                                      "-o", data).returncode, 0)
            config = os.path.join(tmp, "job.toml")
            with open(config, "w") as f:
                f.write(file_job(data, f"{tmp}/run.jsonl", {
                    "value": "temp", "timestamp": "datetime", "partition_by": "device",
                    "duration": "75m", "detector": "robust"}))
            run = streamcp("run", config, "--quiet")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn("streamcp run: detector robust", run.stderr)
            det = streamcp("detect", *self.QUERY, "-i", data)
            self.assertEqual(det.returncode, 0, det.stderr)
            with open(os.path.join(tmp, "run.jsonl")) as f:
                self.assertEqual(f.read(), det.stdout)


class RunConfig(unittest.TestCase):
    def test_run_equals_detect(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "in.jsonl")
            self.assertEqual(streamcp("simulate", "--events", "2000", "--inject", "2@30m:75-80",
                                      "-o", data).returncode, 0)
            config = os.path.join(tmp, "job.toml")
            with open(config, "w") as f:
                f.write(file_job(data, f"{tmp}/run.jsonl",
                                 {**SEED_QUERY_KEYS, "only_anomalies": True, "project": True},
                                 f'\n[rejects]\npath = "{tmp}/rejects.jsonl"\n'))
            run = streamcp("run", config, "--quiet")
            self.assertEqual(run.returncode, 0, run.stderr)
            det = streamcp("detect", *SEED_QUERY, "--only-anomalies", "--project", "-i", data)
            with open(os.path.join(tmp, "run.jsonl")) as f:
                self.assertEqual(f.read(), det.stdout)
            with open(config) as f:
                text = f.read()
            bad = os.path.join(tmp, "bad.toml")
            with open(bad, "w") as f:
                f.write(text.replace('type = "file"\npath = "' + data, 'type = "pigeon"\npath = "' + data))
            result = streamcp("run", bad)
            self.assertEqual(result.returncode, 2)
            self.assertIn("config: source.type 'pigeon' is unknown: allowed file, stdin", result.stderr)
            with open(bad, "w") as f:
                f.write(text.replace('path = "{tmp}/rejects.jsonl"'.format(tmp=tmp), 'path = "{tmp}/rejects.jsonl"\n[[sinks]]\ntype = "stdout"\nbatch = 3'.format(tmp=tmp)))
            result = streamcp("run", bad)
            self.assertEqual(result.returncode, 2)
            self.assertIn("config: sinks[1].batch is not a setting of type \"stdout\"", result.stderr)


DATE_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-0-\d{4}\.jsonl$")
IOTHUB_NAME = re.compile(r"^hub1/0/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{4}\.jsonl$")


def archive_files(root):
    """Relative path -> bytes of every file under root (temporary ones included)."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


class Archive(unittest.TestCase):
    def input_with_garbage(self, tmp):
        sim = streamcp("simulate", "--devices", "3", "--length", "10m").stdout.splitlines()
        lines = sim[:5] + ["not json", '{"temp":1}', '{"temp":"hot","datetime":"2019-11-18T19:00:20Z"}'] + sim[5:]
        path = os.path.join(tmp, "in.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        # What must be archived: every line with a usable timestamp, once.
        archived = [l for l in lines if l != "not json" and l != '{"temp":1}']
        return path, archived

    def test_detect_archives_every_line_with_a_timestamp_once(self):
        with tempfile.TemporaryDirectory() as tmp:
            data, archived = self.input_with_garbage(tmp)
            root = os.path.join(tmp, "archive")
            det = streamcp("detect", *SEED_QUERY, "-i", data, "-o", os.path.join(tmp, "out"),
                           "--archive", root, "--archive-max-bytes", "1000")
            self.assertEqual(det.returncode, 0, det.stderr)
            files = archive_files(root)
            self.assertTrue(files)
            for name, content in files.items():
                self.assertRegex(name, DATE_NAME)  # no temporary (dot) names left
                self.assertLessEqual(len(content), 1000)
                self.assertTrue(content.endswith(b"\n"))
            names = sorted(files)
            self.assertIn("2019/11/18/19/00-0-0000.jsonl", names)
            self.assertIn("2019/11/18/19/00-0-0001.jsonl", names)  # rolled by size
            self.assertIn("2019/11/18/19/09-0-0000.jsonl", names)  # rolled by minute
            joined = b"".join(files[n] for n in names).decode()
            self.assertEqual(joined, "".join(l + "\n" for l in archived))
            # The same run again writes the same names and bytes.
            again = streamcp("detect", *SEED_QUERY, "-i", data, "-o", os.path.join(tmp, "out"),
                             "--archive", root, "--archive-max-bytes", "1000")
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(archive_files(root), files)

    def test_checkpointed_rerun_archives_nothing_twice(self):
        with tempfile.TemporaryDirectory() as tmp:
            data, archived = self.input_with_garbage(tmp)
            root = os.path.join(tmp, "archive")
            args = ["detect", *SEED_QUERY, "-i", data, "-o", os.path.join(tmp, "out"),
                    "--archive", root, "--checkpoint", os.path.join(tmp, "cp.sqlite"),
                    "--checkpoint-every", "7"]
            first = streamcp(*args)
            self.assertEqual(first.returncode, 0, first.stderr)
            files = archive_files(root)
            second = streamcp(*args)
            self.assertEqual(second.returncode, 0, second.stderr)
            self.assertEqual(archive_files(root), files)
            joined = b"".join(files[n] for n in sorted(files)).decode()
            self.assertEqual(joined, "".join(l + "\n" for l in archived))
            moved = streamcp(*[a if a != root else root + "2" for a in args])
            self.assertEqual(moved.returncode, 1)  # another archive: another job
            self.assertIn("another query", moved.stderr)

    def test_run_config_with_the_iothub_layout(self):
        with tempfile.TemporaryDirectory() as tmp:
            data, archived = self.input_with_garbage(tmp)
            root = os.path.join(tmp, "lake")
            config = os.path.join(tmp, "job.toml")
            with open(config, "w") as f:
                query = {"value": "temp", "timestamp": "datetime", "confidence": 80,
                         "history": 12, "duration": "30m"}
                f.write(file_job(data, f"{tmp}/out.jsonl", query, f'''
[archive]
path = "{root}"
layout = "iothub"
hub = "hub1"
max_bytes = 0
'''))
            run = streamcp("run", config, "--quiet")
            self.assertEqual(run.returncode, 0, run.stderr)
            files = archive_files(root)
            self.assertEqual(len(files), 10)  # one per minute: no size limit
            for name in files:
                self.assertRegex(name, IOTHUB_NAME)
            # Issue 17 changed this layout to IoT Hub routing's default path format.
            self.assertIn("hub1/0/2019/11/18/19/00-0000.jsonl", files)
            joined = b"".join(files[n] for n in sorted(files)).decode()
            self.assertEqual(joined, "".join(l + "\n" for l in archived))

    def test_bad_archive_arguments_exit_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            for extra in (["--archive-layout", "iothub"], ["--archive-layout", "hourly"]):
                result = streamcp("detect", *SEED_QUERY, "--archive", tmp, *extra, stdin="")
                self.assertEqual(result.returncode, 2, (extra, result.stderr))
                self.assertIn("archive", result.stderr)


class Progress(unittest.TestCase):
    def stderr_on_a_terminal(self, *extra):
        """Runs detect with stderr on a pseudo-terminal, feeding input slowly; returns stderr."""
        import pty
        import time
        master, slave = pty.openpty()
        lines = streamcp("simulate", "--events", "40").stdout.splitlines(keepends=True)
        proc = subprocess.Popen([STREAMCP, "detect", *SEED_QUERY, "-o", os.devnull, *extra],
                                stdin=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        for chunk in (lines[:20], lines[20:]):
            proc.stdin.write("".join(chunk))
            proc.stdin.flush()
            time.sleep(0.7)  # longer than the refresh period
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=30), 0)
        out = b""
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the terminal's other side is closed
                break
            if not data:
                break
            out += data
        os.close(master)
        return out.decode(errors="replace")

    def test_progress_line_on_a_terminal_and_quiet(self):
        shown = self.stderr_on_a_terminal()
        self.assertIn("events/s", shown)
        self.assertIn("anomalies", shown)
        self.assertIn("rejects", shown)
        self.assertIn("streamcp detect: read 40", shown)
        quiet = self.stderr_on_a_terminal("--quiet")
        self.assertNotIn("events/s", quiet)
        self.assertIn("streamcp detect: read 40", quiet)

    def test_no_progress_when_stderr_is_not_a_terminal(self):
        det = streamcp("detect", *SEED_QUERY,
                       stdin=streamcp("simulate", "--events", "40").stdout)
        self.assertNotIn("events/s", det.stderr)


if __name__ == "__main__":
    STREAMCP = sys.argv.pop(1)
    unittest.main()
