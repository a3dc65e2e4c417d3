#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The streamcp command tried with an operator's ordinary mistakes: nothing is lost and nothing
is silently wrong. Each class is one failure class (path aliasing, failing starts, signals,
checkpoint identity, outputs and locks, strict config, numbers and bytes, counts, messages).
Standard library only.

    cli_safety_test.py PATH/TO/streamcp
"""
import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

STREAMCP = ""
QUERY = ["--value", "temp", "--timestamp", "datetime", "--partition-by", "device",
         "--confidence", "80", "--history", "12", "--duration", "30m"]


def streamcp(*args, stdin=None, cwd=None):
    return subprocess.run([STREAMCP, *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def summary(stderr):
    """The counts of the end-of-run line: read, written, filtered, rejected, anomalies."""
    line = [l for l in stderr.splitlines() if l.startswith("streamcp ")][-1]
    fields = line.split(": ", 1)[1].split(", ")
    return {name: int(value) for name, value in (f.split(" ") for f in fields)}


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def job_config(source, query="", sinks=""):
    """A `streamcp run` file: the seed's query (plus `query` lines) over `source`."""
    return (f"[source]\n{source}\n[query]\nvalue = \"temp\"\ntimestamp = \"datetime\"\n"
            f"confidence = 80\nhistory = 12\nduration = \"30m\"\n{query}\n{sinks}\n")


def simulate(path, events, *extra):
    result = streamcp("simulate", "--events", str(events), "-o", path, *extra)
    assert result.returncode == 0, result.stderr
    return read(path)


class Workdir(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def refused(self, result, *phrases, code=2):
        self.assertEqual(result.returncode, code, result.stderr)
        for phrase in phrases:
            self.assertIn(phrase, result.stderr)


class PathAliasing(Workdir):
    """Point 1: an output that is the input, or another output, is refused before writing."""

    def setUp(self):
        super().setUp()
        self.data = self.path("in.jsonl")
        self.original = simulate(self.data, 200)

    def test_output_equal_to_input_directly_through_a_symlink_and_through_stdout(self):
        os.symlink(self.data, self.path("link.jsonl"))
        for output in (self.data, self.path("link.jsonl"), "./in.jsonl"):
            result = streamcp("detect", *QUERY, "-i", "in.jsonl", "-o", output, cwd=self.tmp)
            self.refused(result, "--output and --input name the same file")
            self.assertEqual(read(self.data), self.original)
        with open(self.data, "a") as appended:  # `detect -i in.jsonl >> in.jsonl`
            result = subprocess.run([STREAMCP, "detect", *QUERY, "-i", self.data], stdout=appended,
                                    stderr=subprocess.PIPE, text=True, timeout=60)
        self.refused(result, "name the same file")
        self.assertEqual(read(self.data), self.original)

    def test_outputs_equal_to_each_other(self):
        out = self.path("out.jsonl")
        write(out, "kept\n")
        cases = [(["--rejects", out], "--rejects and --output"),
                 (["--checkpoint", out], "--checkpoint and --output"),
                 (["--checkpoint", self.path("cp"), "--rejects", self.path("cp-wal")],
                  "--checkpoint (-wal) and --rejects"),
                 (["--archive", self.tmp + "/a", "--rejects", self.tmp + "/a"],
                  "--archive and --rejects")]
        for extra, phrase in cases:
            result = streamcp("detect", *QUERY, "-i", self.data, "-o", out, *extra)
            self.refused(result, phrase)
            self.assertEqual(read(out), "kept\n")

    def test_dangling_symlink_output_is_compared_as_its_target(self):
        # Opening link.jsonl for writing creates new.jsonl: the two are one file.
        os.symlink("new.jsonl", self.path("link.jsonl"))
        result = streamcp("detect", *QUERY, "-i", "in.jsonl", "-o", "link.jsonl", "--rejects",
                          "new.jsonl", cwd=self.tmp)
        self.refused(result, "--rejects and --output name the same file")
        self.assertFalse(os.path.exists(self.path("new.jsonl")))

    def test_passthrough_and_simulate_outputs_equal_to_their_input(self):
        result = streamcp("passthrough", "-i", "in.jsonl", "-o", "./in.jsonl", cwd=self.tmp)
        self.refused(result, "--output and --input name the same file")
        self.assertEqual(read(self.data), self.original)
        with open(self.data) as stdin:  # `simulate -o in.jsonl < in.jsonl`
            result = subprocess.run([STREAMCP, "simulate", "--events", "5", "-o", self.data],
                                    stdin=stdin, capture_output=True, text=True, timeout=60)
        self.refused(result, "--output and stdin name the same file")
        self.assertEqual(read(self.data), self.original)
        os.symlink("fresh.jsonl", self.path("dangling.jsonl"))
        result = streamcp("passthrough", "-i", "in.jsonl", "-o", "dangling.jsonl", cwd=self.tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(read(self.path("fresh.jsonl")), self.original)

    def test_run_config_sink_equal_to_source(self):
        config = self.path("job.toml")
        write(config, job_config(f'type = "file"\npath = "{self.data}"',
                                 sinks=f'[[sinks]]\ntype = "file"\npath = "{self.tmp}/./in.jsonl"'))
        result = streamcp("run", config)
        self.refused(result, "sinks[0].path and source.path name the same file")
        self.assertEqual(read(self.data), self.original)


class FailingStart(Workdir):
    """Point 2: a start that fails leaves every existing output as it was."""

    def setUp(self):
        super().setUp()
        self.data = self.path("in.jsonl")
        simulate(self.data, 100)
        self.out = self.path("out.jsonl")
        write(self.out, "previous run\n")

    def test_input_that_is_a_directory(self):
        result = streamcp("detect", *QUERY, "-i", self.tmp, "-o", self.out)
        self.refused(result, "is a directory", code=1)
        self.assertEqual(read(self.out), "previous run\n")

    def test_archive_that_cannot_be_written(self):
        blocker = self.path("not-a-dir")
        write(blocker, "")
        for archive in (blocker, blocker + "/sub"):
            result = streamcp("detect", *QUERY, "-i", self.data, "-o", self.out,
                              "--archive", archive)
            self.refused(result, "archive directory", code=1)
            self.assertEqual(read(self.out), "previous run\n")

    def test_checkpoint_of_another_query(self):
        cp = self.path("cp.sqlite")
        first = streamcp("detect", *QUERY, "-i", self.data, "-o", self.path("o1"),
                         "--checkpoint", cp)
        self.assertEqual(first.returncode, 0, first.stderr)
        other = [a if a != "12" else "13" for a in QUERY]
        result = streamcp("detect", *other, "-i", self.data, "-o", self.out, "--checkpoint", cp)
        self.refused(result, "history: 12 in the checkpoint, 13 in this run", code=1)
        self.assertEqual(read(self.out), "previous run\n")


def wait_for_size(path, size, process, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline and process.poll() is None:
        if os.path.exists(path) and os.path.getsize(path) >= size:
            return
        time.sleep(0.01)


class Signals(Workdir):
    """Point 5: SIGINT / SIGTERM finish the events in flight, flush, checkpoint, summarise."""

    def test_detect_on_a_pipe_writes_a_consistent_prefix_archive_and_summary(self):
        data = simulate(self.path("in.jsonl"), 500).splitlines(keepends=True)
        data.insert(100, "not json\n")
        straight = streamcp("detect", *QUERY, stdin="".join(data))
        out, rejects, archive = self.path("out"), self.path("rejects"), self.path("archive")
        for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
            process = subprocess.Popen(
                [STREAMCP, "detect", *QUERY, "-o", out, "--rejects", rejects, "--archive",
                 archive], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            process.stdin.write("".join(data))  # the pipe stays open: detect waits for more
            process.stdin.flush()
            time.sleep(1.5)
            process.send_signal(sig)
            _, err = process.communicate(timeout=60)
            self.assertEqual(process.returncode, code, err)
            counts = summary(err)
            self.assertEqual(counts["read"], counts["written"] + counts["rejected"])
            written = read(out).splitlines(keepends=True)
            self.assertEqual(len(written), counts["written"])
            self.assertEqual(written, straight.stdout.splitlines(keepends=True)[:len(written)])
            self.assertEqual(len(read(rejects).splitlines()), counts["rejected"])
            temps = [n for _, _, names in os.walk(archive) for n in names if n.endswith(".tmp")]
            self.assertEqual(temps, [])

    def test_simulate_stops_with_143(self):
        process = subprocess.Popen([STREAMCP, "simulate", "--realtime", "--devices", "2"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 143, err)
        for line in out.splitlines():
            json.loads(line)

    def interrupted_then_resumed(self, following, resuming, out):
        """Runs `following` (it tails the first half of the input, so it is still running
        whenever the signal comes), stops it with SIGTERM, appends the second half and runs
        `resuming` to the end."""
        write(self.data, "".join(self.lines[:len(self.lines) // 2]))
        process = subprocess.Popen([STREAMCP, *following], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        wait_for_size(out, 1 << 16, process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 143, err)
        self.assertGreater(summary(err)["read"], 0)
        with open(self.data, "a") as f:
            f.write("".join(self.lines[len(self.lines) // 2:]))
        resumed = streamcp(*resuming)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)

    def test_a_checkpointed_run_resumes_to_the_uninterrupted_bytes(self):
        self.data = self.path("in.jsonl")
        self.lines = simulate(self.data, 40000, "--devices", "50").splitlines(keepends=True)
        expected = self.path("expected")
        query = [*QUERY, "--out-of-order-tolerance", "1m"]  # the stop finds held events
        straight = streamcp("detect", *query, "--rejects", self.path("expected-rejects"),
                            "-i", self.data, "-o", expected)
        self.assertEqual(straight.returncode, 0, straight.stderr)
        out = self.path("out")
        command = ["detect", *query, "--rejects", self.path("rejects"), "-i", self.data, "-o",
                   out, "--checkpoint", self.path("cp.sqlite"), "--checkpoint-every", "1000"]
        self.interrupted_then_resumed([*command, "--follow"], command, out)
        self.assertEqual(read(out), read(expected))
        self.assertEqual(read(self.path("rejects")), read(self.path("expected-rejects")))

        def config(name, follow):
            write(self.path(name), job_config(
                f'type = "file"\npath = "{self.data}"\nfollow = {follow}',
                query='partition_by = "device"\nout_of_order_tolerance = "1m"',
                sinks=f'[[sinks]]\ntype = "file"\npath = "{self.tmp}/run-out"\n'
                      f'[checkpoint]\npath = "{self.tmp}/run-cp.sqlite"\nevery = 1000'))
            return ["run", self.path(name)]

        self.interrupted_then_resumed(config("follow.toml", "true"),
                                      config("job.toml", "false"), self.path("run-out"))
        self.assertEqual(read(self.path("run-out")), read(expected))


class CheckpointIdentity(Workdir):
    """Points 3, 6, 7: a checkpoint resumes only its own input, outputs, and one process."""

    def setUp(self):
        super().setUp()
        self.data = self.path("in.jsonl")
        self.lines = simulate(self.data, 1500).splitlines(keepends=True)
        self.cp = self.path("cp.sqlite")

    def detect(self, data, *extra, cwd=None):
        return streamcp("detect", *QUERY, "-i", data, "-o", self.path("out"), "--checkpoint",
                        self.cp, "--checkpoint-every", "100", *extra, cwd=cwd)

    def checkpoint_after(self, lines):
        """A checkpoint that consumed the first `lines` lines of the input."""
        write(self.data, "".join(self.lines[:lines]))
        first = self.detect(self.data)
        self.assertEqual(first.returncode, 0, first.stderr)

    def test_a_new_file_under_the_same_name_is_refused(self):
        self.checkpoint_after(1000)
        simulate(self.data, 1500, "--seed", "7")
        result = self.detect(self.data)
        self.refused(result, "is not the file checkpoint", "replaced", "remove the checkpoint",
                     code=1)

    def test_a_shortened_input_is_refused(self):
        self.checkpoint_after(1000)
        write(self.data, "".join(self.lines[:500]))
        self.refused(self.detect(self.data), "shortened", "remove the checkpoint", code=1)

    def test_the_same_file_under_any_spelling_resumes(self):
        self.checkpoint_after(1000)
        write(self.data, "".join(self.lines))  # the writer appended the rest
        resumed = self.detect("./in.jsonl", cwd=self.tmp)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertEqual(summary(resumed.stderr)["read"], 1500)
        expected = streamcp("detect", *QUERY, "-i", self.data)
        self.assertEqual(read(self.path("out")), expected.stdout)

    def test_a_resume_with_other_outputs_is_refused(self):
        first = self.detect(self.data, "--rejects", self.path("rejects"))
        self.assertEqual(first.returncode, 0, first.stderr)
        self.refused(self.detect(self.data), "outputs:", "in the checkpoint", code=1)

    def test_a_second_process_is_refused_and_a_dead_ones_lock_is_not(self):
        first = self.detect(self.data)
        self.assertEqual(first.returncode, 0, first.stderr)
        with open(self.cp, "rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running streamcp holds it
            self.refused(self.detect(self.data), "in use by another streamcp process", code=1)
        killed = subprocess.Popen([sys.executable, "-c", "import fcntl,os,sys,time;"
                                   "f=open(sys.argv[1],'rb');fcntl.flock(f,fcntl.LOCK_EX);"
                                   "time.sleep(60)", self.cp])
        time.sleep(0.5)
        killed.kill()
        killed.wait()
        self.assertEqual(self.detect(self.data).returncode, 0)

    def test_confidences_that_truncate_alike_are_one_query(self):
        self.assertEqual(self.detect(self.data).returncode, 0)
        query = [a if a != "80" else "80.7" for a in QUERY]
        again = streamcp("detect", *query, "-i", self.data, "-o", self.path("out"),
                         "--checkpoint", self.cp, "--checkpoint-every", "100")
        self.assertEqual(again.returncode, 0, again.stderr)

    def test_a_damaged_checkpoint_names_the_file_and_how_to_start_over(self):
        self.checkpoint_after(1000)
        with sqlite3.connect(self.cp) as db:
            db.execute("UPDATE checkpoint SET state = x'00010203'")
        self.refused(self.detect(self.data), self.cp, "damaged", "start over", code=1)


class Follow(Workdir):
    """Point 4: --follow tails a growing file and never consumes a partial line."""

    LINE = '{"temp":%d,"datetime":"2019-11-18T19:00:%02dZ"}'

    def start(self, data, *extra):
        return subprocess.Popen([STREAMCP, "detect", *QUERY, "-i", data, "-o", self.path("out"),
                                 "--rejects", self.path("rejects"), "--follow", *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def test_a_line_completed_later_is_one_event(self):
        data = self.path("in.jsonl")
        first, second = self.LINE % (1, 0), self.LINE % (2, 10)
        write(data, first + "\n" + second[:20])
        process = self.start(data, "--idle-exit", "2s")
        time.sleep(0.7)
        with open(data, "a") as f:
            f.write(second[20:] + "\n")
        _, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, err)
        self.assertEqual(summary(err), {"read": 2, "written": 2, "filtered": 0, "rejected": 0,
                                        "anomalies": 0})
        self.assertEqual(read(self.path("rejects")), "")

    def test_an_unfinished_last_line_is_left_for_later_and_a_signal_ends_the_run(self):
        data = self.path("in.jsonl")
        write(data, self.LINE % (1, 0) + "\n" + '{"temp":2')
        process = self.start(data)
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 143, err)
        self.assertEqual(summary(err)["read"], 1)
        self.assertEqual(summary(err)["rejected"], 0)

    def test_a_replaced_or_truncated_file_stops_with_status_3(self):
        data = self.path("in.jsonl")
        for change in ("replace", "truncate"):
            write(data, self.LINE % (1, 0) + "\n" + self.LINE % (2, 10) + "\n")
            process = self.start(data)
            time.sleep(0.7)
            if change == "replace":
                write(self.path("new.jsonl"), self.LINE % (3, 20) + "\n")
                os.replace(self.path("new.jsonl"), data)
            else:
                os.truncate(data, 5)
            _, err = process.communicate(timeout=60)
            self.assertEqual(process.returncode, 3, err)
            self.assertIn("replaced or removed" if change == "replace" else "truncated", err)
            self.assertEqual(len(read(self.path("out")).splitlines()), 2)

    def test_without_follow_an_unterminated_last_line_is_processed(self):
        data = self.path("in.jsonl")
        write(data, self.LINE % (1, 0) + "\n" + self.LINE % (2, 10))
        result = streamcp("detect", *QUERY, "-i", data)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(summary(result.stderr)["written"], 2)

    def test_follow_needs_a_file_and_idle_exit_needs_follow(self):
        self.refused(streamcp("detect", *QUERY, "--follow", stdin=""), "--follow needs")
        self.refused(streamcp("detect", *QUERY, "--idle-exit", "5s", stdin=""),
                     "--idle-exit needs --follow")


BASE_CONFIG = job_config('type = "stdin"')


class StrictConfig(Workdir):
    """Point 9: unknown tables and keys and wrong types are refused by name."""

    def run_config(self, text):
        config = self.path("job.toml")
        write(config, text)
        return streamcp("run", config, stdin="")

    def test_unknown_keys_and_tables(self):
        cases = [
            (BASE_CONFIG.replace("history", "histroy"),
             ["query.histroy is not a setting of [query]", "did you mean 'history'?"]),
            (BASE_CONFIG + "[checkpiont]\npath = \"x\"\n",
             ["[checkpiont] is not a table", "did you mean 'checkpoint'?"]),
            (BASE_CONFIG + "[checkpoint]\npath = \"x\"\nevrey = 5\n",
             ["checkpoint.evrey", "allowed: path, every, interval", "did you mean 'every'?"]),
            (BASE_CONFIG + "[rejects]\npaht = \"x\"\n", ["rejects.paht", "'path'"]),
            (BASE_CONFIG + "[archive]\npath = \"x\"\nlayuot = \"date\"\n",
             ["archive.layuot", "'layout'"]),
            ("verbose = true\n" + BASE_CONFIG, ["verbose is not a table"]),
        ]
        for text, phrases in cases:
            self.refused(self.run_config(text), *phrases)

    def test_wrong_types_say_the_expected_type(self):
        cases = [
            (BASE_CONFIG.replace("history = 12", 'history = "12"'),
             "query.history must be an integer, not a string"),
            (BASE_CONFIG.replace('duration = "30m"', 'duration = "30m"\npartition_by = 5'),
             "query.partition_by must be a string, not an integer"),
            (BASE_CONFIG + "[checkpoint]\npath = \"x\"\ninterval = 10\n",
             "checkpoint.interval must be a string, not an integer"),
            (BASE_CONFIG + "[archive]\npath = \"x\"\nmax_bytes = \"1M\"\n",
             "archive.max_bytes must be an integer, not a string"),
            ("sinks = 3\n" + BASE_CONFIG, "sinks must be an array of tables"),
        ]
        for text, phrase in cases:
            self.refused(self.run_config(text), phrase)


class NumbersAndBytes(Workdir):
    """Point 10: big integers, a byte-order mark, duplicate keys and invalid flag values."""

    def test_an_integer_beyond_int64_is_a_number(self):
        lines = ('{"temp":100000000000000000000,"datetime":"2019-11-18T19:00:00Z"}\n'
                 '{"temp":1e20,"datetime":"2019-11-18T19:00:10Z"}\n')
        result = streamcp("detect", *QUERY, stdin=lines)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(summary(result.stderr)["rejected"], 0)
        self.assertEqual(summary(result.stderr)["written"], 2)

    def test_a_byte_order_mark_is_skipped(self):
        data = self.path("bom.jsonl")
        with open(data, "wb") as f:
            f.write(b'\xef\xbb\xbf{"temp":1,"datetime":"2019-11-18T19:00:00Z"}\n')
        result = streamcp("detect", *QUERY, "-i", data)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(summary(result.stderr)["rejected"], 0)
        self.assertTrue(result.stdout.startswith('{"temp":1,'), result.stdout)

    def test_duplicate_keys_take_the_first_value(self):
        rejects = self.path("rejects")
        lines = ('{"temp":"x","temp":1,"datetime":"2019-11-18T19:00:00Z"}\n'
                 '{"temp":1,"temp":"x","datetime":"2019-11-18T19:00:10Z"}\n')
        result = streamcp("detect", *QUERY, "--rejects", rejects, stdin=lines)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(summary(result.stderr)["written"], 1)
        self.assertEqual(json.loads(read(rejects))["reason"], "bad_value")

    def test_invalid_flag_values_are_refused(self):
        cases = [
            (["simulate", "--events", "5", "--temp-min", "-inf"], "--temp-min"),
            (["simulate", "--events", "5", "--temp-min", "30"], "--temp-min <= --temp-max"),
            (["simulate", "--events", "-5"], "--events"),
            (["simulate", "--events", "5", "--seed", "-1"], "--seed"),
            (["detect", *QUERY, "--checkpoint-every", "-1"], "--checkpoint-every"),
            (["detect", *QUERY, "--archive-max-bytes", "-1"], "--archive-max-bytes"),
            (["detect", *QUERY, "--threads", "-1"], "--threads"),
            (["detect", *QUERY, "--max-partitions", "-1"], "--max-partitions"),
        ]
        for args, phrase in cases:
            self.refused(streamcp(*args, stdin=""), phrase)


class Counts(unittest.TestCase):
    """Point 12: counts are validated before anything is allocated."""

    def test_negative_or_huge_device_counts(self):
        for devices in ("-3", "0", "18446744073709551613", "100000001"):
            result = streamcp("simulate", "--devices", devices, "--events", "1")
            self.assertEqual(result.returncode, 2, (devices, result.stderr))
            self.assertIn("--devices", result.stderr)
            self.assertIn("must be an integer in [1, 10000000]", result.stderr)


class Messages(Workdir):
    """Point 15: messages name the thing and the way out."""

    def test_a_misspelt_command_suggests_the_closest(self):
        self.refused(streamcp("detcet"), "'detcet' is not a command", "did you mean 'detect'?")

    def test_a_leap_second_says_so(self):
        rejects = self.path("rejects")
        result = streamcp("detect", *QUERY, "--rejects", rejects,
                          stdin='{"temp":1,"datetime":"2016-12-31T23:59:60Z"}\n')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("leap second", json.loads(read(rejects))["detail"])

    def test_an_unwritable_rejects_file_is_called_the_rejects_file(self):
        result = streamcp("detect", *QUERY, "--rejects", self.tmp + "/missing/dir/r.jsonl",
                          stdin="")
        self.refused(result, "cannot open rejects file", code=1)

    def test_an_unknown_sink_option_is_named(self):
        config = self.path("job.toml")
        write(config, BASE_CONFIG + '[[sinks]]\ntype = "file"\npath = "o"\npaht = "x"\n')
        self.refused(streamcp("run", config, stdin=""),
                     'sinks[0].paht is not a setting of type "file" (allowed: none)')

    def test_an_amqp_connection_that_never_opened_is_not_called_lost(self):
        config = self.path("job.toml")
        write(config, BASE_CONFIG.replace('type = "stdin"', 'type = "eventhubs"\nbroker = "generic"\n'
                                          'url = "amqp://127.0.0.1:1"\naddresses = ["q"]'))
        process = subprocess.Popen([STREAMCP, "run", config], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        if "is unknown: allowed" in err:
            self.skipTest("built without the Event Hubs connector")
        self.assertIn("cannot connect to amqp://127.0.0.1:1", err)
        self.assertNotIn("lost", err)
        self.assertEqual(process.returncode, 143, err)


def main():
    global STREAMCP
    STREAMCP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=1)


if __name__ == "__main__":
    main()
