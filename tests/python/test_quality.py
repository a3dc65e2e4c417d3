# SPDX-License-Identifier: MIT
"""Detection quality (issue 7): TCPDBench's metrics, the harness on bundled series, the tuner,
the robust detector. Reads only tests/data/tcpd (never ../shared). Runs in a few seconds."""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import streamcp
from streamcp.metrics import covering, detection_delays, f_measure, precision_recall

REPO_ROOT = Path(__file__).resolve().parents[2]
TCPD_DIR = REPO_ROOT / "tests" / "data" / "tcpd"
sys.path.insert(0, str(REPO_ROOT / "bench" / "quality"))

import benchmarks  # noqa: E402
import nab  # noqa: E402
import run_quality  # noqa: E402
import tcpd  # noqa: E402


@pytest.fixture(scope="module")
def all_series() -> list[tcpd.Series]:
    return tcpd.load_directory(TCPD_DIR)


# ---------------------------------------------------------------- metrics, hand-made cases


def test_f1_hand_case() -> None:
    # margin 0: X = {0, 10, 20}; union {0, 5, 10, 11, 20} -> P = 3/3;
    # recall (3/3 + 2/3 + 2/2 + 1/2) / 4 = 19/24; F = 2·1·19/24 / (1 + 19/24) = 38/43.
    ann = {"1": [10, 20], "2": [11, 20], "3": [10], "4": [0, 5]}
    p, r = precision_recall(ann, [10, 20], 30, margin=0)
    assert (p, r) == (1.0, pytest.approx(19 / 24))
    assert f_measure(ann, [10, 20], 30, margin=0) == pytest.approx(38 / 43)
    # margin 5: 11 and 5 now match 10 (each annotator separately), so recall is 1.
    assert f_measure(ann, [10, 20], 30) == 1.0


def test_f1_one_prediction_matches_one_truth() -> None:
    # Two true points within the margin of one prediction: only one can be matched.
    ann = {"a": [10, 12]}
    p, r = precision_recall(ann, [11], 50)
    assert p == 1.0 and r == pytest.approx(2 / 3)


def test_predictions_outside_1_to_n_minus_2_are_dropped() -> None:
    ann = {"a": [25]}
    assert f_measure(ann, [0, 49, 60, -3], 50) == f_measure(ann, [], 50)
    assert covering(ann, [0, 49, 60], 50) == covering(ann, [], 50)


def test_cover_hand_case() -> None:
    # Truth splits 0..99 at 50; predicting 40: segments [0,40) [40,100).
    # [0,50) best overlap 40/50, [50,100) best 50/60 -> (50·0.8 + 50·(50/60)) / 100.
    assert covering({"a": [50]}, [40], 100) == pytest.approx((50 * 0.8 + 50 * 50 / 60) / 100)
    assert covering({"a": [50]}, [50], 100) == 1.0
    assert covering({"a": []}, [], 100) == 1.0
    assert covering({"a": [50], "b": []}, [50], 100) == pytest.approx((1.0 + 0.5) / 2)


def test_detection_delays() -> None:
    delays, n_true = detection_delays({"a": [10, 30], "b": [31]}, [12, 40, 5], 100)
    assert n_true == 3 and delays == [2, 9]  # 10 -> 12; 30 -> none before 31; 31 -> 40


# TCPDBench's published default-parameter predictions and scores for ozone (n = 54), from
# analysis/output/summaries/summary_ozone.json in github.com/alan-turing-institute/TCPDBench
# (MIT licence): every method's score must be reproduced bit for bit.
OZONE_PUBLISHED = [
    ("amoc", [35], 0.53125, 0.7014814814814815),
    ("binseg", [10, 35], 0.6495726495726496, 0.6001481481481481),
    ("bocpd", [12, 34], 0.6495726495726496, 0.6016240839770252),
    ("bocpdms", [2], 0.53125, 0.5604621715732827),
    ("cpnp", [5, 17, 32, 45], 0.7499999999999999, 0.4406197046719923),
    ("pelt", [10, 33], 1.0, 0.6345922998096911),
    ("rbocpdms", [1, 2, 13], 0.5588235294117647, 0.5767841011743451),
    ("rfpop", [2, 6, 10, 13, 22, 25, 29, 31, 32, 35, 39, 45], 0.375, 0.3091358024691358),
    ("segneigh", [11, 33], 1.0, 0.6265993265993266),
    ("kcpa", [*range(1, 17), *range(18, 53)], 0.1090909090909091, 0.07037037037037037),
    ("wbs", [*range(1, 16), *range(17, 48), 49, 50, 52], 0.11320754716981131, 0.07037037037037037),
]


@pytest.mark.parametrize(("method", "cps", "f1", "cover"), OZONE_PUBLISHED, ids=[m[0] for m in OZONE_PUBLISHED])
def test_metrics_reproduce_published_ozone_scores(method: str, cps: list[int], f1: float, cover: float) -> None:
    ann = json.loads((TCPD_DIR / "annotations.json").read_text())["ozone"]
    assert f_measure(ann, cps, 54) == f1
    assert covering(ann, cps, 54) == cover


def test_zero_baseline_reproduced_exactly(all_series: list[tcpd.Series]) -> None:
    checked, bad = run_quality.verify_zero(all_series, TCPD_DIR)
    assert checked == len(all_series) == 28
    assert bad == 0


# ---------------------------------------------------------------- data and harness


def test_bundled_data_excludes_gpl_and_unlicensed() -> None:
    names = {p.stem for p in TCPD_DIR.glob("*.json")} - {"annotations"}
    assert not names & {"nile", "seatbelts", "centralia"}
    assert set(json.loads((TCPD_DIR / "annotations.json").read_text())) == names
    assert "nile" in (TCPD_DIR / "README.md").read_text()  # the exclusion is explained


def test_missing_values_are_nan(all_series: list[tcpd.Series]) -> None:
    coal = next(s for s in all_series if s.name == "uk_coal_employ")
    assert int(np.isnan(coal.values).sum()) == 2


def test_harness_end_to_end() -> None:
    series = tcpd.load_directory(TCPD_DIR, ["ozone", "rail_lines", "gdp_japan"])
    assert [s.name for s in series] == ["gdp_japan", "ozone", "rail_lines"]
    small = {"confidence": (95, 99), "history": (10, 20)}
    for detector, default in ((run_quality.asa_detector, run_quality.ASA_DEFAULT),
                              (run_quality.robust_detector, run_quality.ROBUST_DEFAULT)):
        results = tcpd.evaluate(detector, series, default, tcpd.grid(small))
        for r in results:
            assert 0 < r.default.f1 <= r.oracle_f1.f1 <= 1
            assert 0 < r.default.cover <= r.oracle_cover.cover <= 1
        assert all(not math.isnan(v) for v in tcpd.averages(results))
    # The ASA detector at (95, 20) on rail_lines: exactly what update_many alerts.
    rail = series[2]
    rows = streamcp.ChangePointDetector(95, 20).update_many(rail.values[:, 0])
    det = run_quality.asa_detector(rail.values[:, 0], run_quality.ASA_DEFAULT)
    assert det.locations == [int(i) for i in np.flatnonzero(rows["is_anomaly"])]


def test_harness_command_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "quality" / "run_quality.py"), str(TCPD_DIR),
         "--series", "ozone,gdp_japan", "--no-oracle", "--verify"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    assert "2 exact, 0 mismatched" in out
    assert "streamcp ASA (exact)" in out and "streamcp robust" in out


# ---------------------------------------------------------------- tuner


def test_tune_on_one_series() -> None:
    series = tcpd.load_directory(TCPD_DIR, ["well_log"])[0]
    result = streamcp.tune(series.values[:, 0], series.annotations, metric="f1",
                           confidences=(90, 95, 99), histories=(10, 20, 30))
    assert len(result.scores) == 9
    assert result.score == max(s[2] for s in result.scores)
    assert result.score >= result.default_score
    assert (result.confidence, result.history, result.score) in result.scores
    text = result.report()
    assert "chose confidence=" in text and "predicting no change" in text


def test_tune_several_series_and_cover() -> None:
    rng = np.random.default_rng(0)
    a = np.r_[rng.normal(0, 1, 80), rng.normal(8, 1, 80)]
    b = np.r_[rng.normal(0, 1, 60), rng.normal(-8, 1, 100)]
    result = streamcp.tune([a, b], [[80], [60]], metric="cover", robust=True,
                           confidences=(95, 99), histories=(20, 30))
    assert result.robust and result.metric == "cover"
    assert result.score > 0.9 > result.no_change_score


def test_tune_command_line(tmp_path: Path) -> None:
    csv_path = tmp_path / "labelled.csv"
    values = [0.0, 1.0] * 30 + [10.0, 11.0] * 30
    csv_path.write_text("value,change\n" + "".join(f"{v},{int(i == 60)}\n" for i, v in enumerate(values)))
    run = [sys.executable, "-m", "streamcp.tune"]
    assert "--metric" in subprocess.run([*run, "--help"], capture_output=True, text=True, check=True).stdout
    out = subprocess.run([*run, str(csv_path), "--label-column", "change", "--histories", "10,20"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert "chose confidence=" in out.stdout
    assert "RuntimeWarning" not in out.stderr


def _step_series() -> list[float]:
    return [0.0, 1.0] * 30 + [10.0, 11.0] * 30


def test_tune_asa_mode_tunes_only_what_asa_runs() -> None:
    # ASA truncates 99.9 to 99: tuning 99.9 as ML.NET runs it would pick a setting the cloud never runs.
    assert all(c == int(c) for c in importlib.import_module("streamcp.tune").DEFAULT_CONFIDENCES)
    with pytest.raises(ValueError, match=r"confidences \[99.9\].*fractional_confidence=True"):
        streamcp.tune(_step_series(), [60], confidences=(95, 99.9))
    result = streamcp.tune(_step_series(), [60], confidences=(95, 99.9), histories=(10,), fractional_confidence=True)
    assert [s[0] for s in result.scores] == [95.0, 99.9] and "fractional_confidence=True" in result.report()
    robust = streamcp.tune(_step_series(), [60], confidences=(95.5,), histories=(20,), robust=True)
    assert robust.confidence == 95.5  # the robust detector is not truncated: any confidence is its own


def test_tune_validates_change_points() -> None:
    with pytest.raises(ValueError, match=r"change point 120 is out of range: allowed 0 to 119"):
        streamcp.tune(_step_series(), [60, 120])
    with pytest.raises(ValueError, match=r"change_points\[1\]\['ann'\]: change point -1"):
        streamcp.tune([_step_series(), _step_series()], [[60], {"ann": [-1]}])
    indicator = [0] * 120
    indicator[60] = 1
    with pytest.raises(ValueError, match="indicator=True"):
        streamcp.tune(_step_series(), indicator)  # 0/1 values taken as positions: refused
    with pytest.raises(ValueError, match="indicator=True"):
        streamcp.tune(_step_series(), np.array(indicator, dtype=bool))
    for bad in (60.5, math.nan, math.inf, "60"):
        with pytest.raises(ValueError, match="not an integer position"):
            streamcp.tune(_step_series(), [bad])
    by_flag = streamcp.tune(_step_series(), indicator, indicator=True, histories=(10, 20))
    assert by_flag.scores == streamcp.tune(_step_series(), [60], histories=(10, 20)).scores
    with pytest.raises(ValueError, match=r"one 0/1 entry per value \(120\)"):
        streamcp.tune(_step_series(), [0, 1], indicator=True)


def test_tune_robust_mode_reports_both_baselines() -> None:
    result = streamcp.tune(_step_series(), [60], robust=True, confidences=(95,), histories=(20,))
    asa = streamcp.tune(_step_series(), [60], confidences=(95,), histories=(20,))
    assert result.asa_default_score == asa.default_score == asa.asa_default_score
    text = result.report()
    assert "robust defaults (90, 450):" in text and "ASA defaults (95, 20):" in text
    assert "ASA defaults" not in asa.report().replace("ASA defaults (95, 20):", "", 1)


def _keyed_frame() -> tuple[pd.DataFrame, dict[str, list[int]]]:
    rng = np.random.default_rng(3)
    shifts = {"a": 100, "b": None, "c": 60}
    parts = []
    for key, shift in shifts.items():
        v = rng.normal(0, 1, 200) + np.where(np.arange(200) >= (shift or 10**9), 8.0, 0.0)
        parts.append(pd.DataFrame({"t": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(200) * 10, unit="s"),
                                   "device": key, "temp": v, "change": (np.arange(200) == shift).astype(int)}))
    df = pd.concat(parts).sample(frac=1, random_state=1)  # rows out of time order: tuned in time order per key
    return df, {k: [s] for k, s in shifts.items() if s is not None}


def test_tune_the_partitioned_function_on_a_frame() -> None:
    df, labels = _keyed_frame()
    grid = {"confidences": (90, 99), "histories": (10, 20)}
    query = {"value": "temp", "timestamp": "t", "partition_by": "device", "duration": "1h"}
    by_column = streamcp.tune(df, **query, label_column="change", **grid)
    assert by_column.scores == streamcp.tune(df, labels, **query, **grid).scores
    # Each grid point's score is the mean over keys of F1 on what the ASA function alerts on.
    scored = streamcp.pandas.detect(df, **query, confidence=90, history=10)
    expected = []
    for key in ("a", "b", "c"):
        rows = scored[scored["device"] == key].sort_values("t", kind="stable")
        found = list(np.flatnonzero(rows["IsAnomaly"].to_numpy() == 1))
        expected.append(streamcp.metrics.f_measure({"labels": labels.get(key, [])}, found, len(rows)))
    assert by_column.scores[0] == (90.0, 10, pytest.approx(float(np.mean(expected))))
    with pytest.raises(ValueError, match=r"keys \['zz'\]"):
        streamcp.tune(df, {"zz": [1]}, **query)
    with pytest.raises(ValueError, match=r"change_points\['a'\]: change point 200 is out of range"):
        streamcp.tune(df, {"a": [200]}, **query)
    with pytest.raises(ValueError, match="duration is required"):
        streamcp.tune(df, labels, **{**query, "duration": None})
    with pytest.raises(ValueError, match="apply to a pandas DataFrame only"):
        streamcp.tune(_step_series(), [60], partition_by="device")


def test_tune_a_frame_without_partitions_and_in_robust_mode() -> None:
    df, _ = _keyed_frame()
    one = df[df["device"] == "c"]
    query = {"value": "temp", "timestamp": "t", "duration": "1h", "confidences": (90, 99), "histories": (20,)}
    as_list = streamcp.tune(one, [60], **query)
    assert as_list.scores == streamcp.tune(one, label_column="change", **query).scores
    robust = streamcp.tune(df, value="temp", timestamp="t", partition_by="device", duration="1h",
                           label_column="change", robust=True, confidences=(95,), histories=(30,))
    assert robust.robust and "robust defaults (90, 450):" in robust.report()
    assert robust.asa_default_score == streamcp.tune(df, value="temp", timestamp="t", partition_by="device",
                                                     duration="1h", label_column="change", confidences=(95,),
                                                     histories=(20,)).score


def test_tune_command_line_on_keyed_csv(tmp_path: Path) -> None:
    df, _ = _keyed_frame()
    csv_path = tmp_path / "keyed.csv"
    df[["device", "t", "temp", "change"]].to_csv(csv_path, index=False)
    run = [sys.executable, "-m", "streamcp.tune", str(csv_path), "--label-column", "change"]
    out = subprocess.run([*run, "--timestamp", "t", "--partition-by", "device", "--duration", "1h",
                          "--confidences", "90,99", "--histories", "10,20"],
                         capture_output=True, text=True, check=True, timeout=120)
    assert "chose confidence=" in out.stdout
    for flags, message in (
        (["--column", "device"], "column 'device', row 1: "),  # keys are not values
        (["--column", "device", "--timestamp", "t", "--duration", "1h"], "--column 'device' is not numeric"),
        (["--confidences", "99.9"], "fractional_confidence=True"),
        (["--timestamp", "t"], "--timestamp and --duration go together"),
    ):
        bad = subprocess.run([*run, *flags], capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr, (flags, bad.stderr)


# ---------------------------------------------------------------- robust detector


def test_robust_detector_basics() -> None:
    det = streamcp.RobustChangePointDetector(95)
    assert det.threshold == pytest.approx(20.0)
    assert "not" in type(det).__doc__.lower() and "asa-compatible" in type(det).__doc__.lower()
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(0, 1, 100), rng.normal(6, 1, 100)] * 1e9  # large scale
    values[[10, 150]] = np.nan
    onsets, alerts = streamcp.RobustChangePointDetector(99).change_points(values)
    assert len(onsets) == 1 and abs(onsets[0] - 100) <= 2 and alerts[0] >= onsets[0]
    rows = streamcp.RobustChangePointDetector().update_many(values)
    assert rows.dtype == streamcp.ROBUST_DTYPE
    assert np.isnan(rows["score"][10]) and rows["onset_lag"][10] == -1
    with pytest.raises(ValueError):
        streamcp.RobustChangePointDetector(100)
    with pytest.raises(ValueError):
        streamcp.RobustChangePointDetector().update(math.inf)


def test_asa_detector_is_unchanged_by_robust_mode() -> None:
    # The default detector stays ML.NET's: its documented example still alerts.
    det = streamcp.ChangePointDetector(95, 4)
    assert [det.update(v).is_anomaly for v in [5, 5, 5, 5, 5, 5, 5, 5, 7]][-1]


def test_benchmarks_skip_nab_with_a_notice_when_the_data_is_absent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmarks.main(["--fast", "--nab", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "NAB: skipped" in out and "never bundled" in out
    assert "robust, recommended defaults" in out


def test_nab_scores_a_small_corpus_with_the_shared_scorer(tmp_path: Path) -> None:
    scorer = nab.find_scorer(REPO_ROOT.parent / "shared" / "data" / "nab")
    if scorer is None:
        pytest.skip("NAB's scorer (../shared/tools/nab_score.py) is not beside the repository")
    # One file of 100 rows with one window at rows 60..69 (probation: rows 0..14).
    (tmp_path / "data" / "cat").mkdir(parents=True)
    stamps = [f"2020-01-01 {h:02d}:{m:02d}:00" for h in range(2) for m in range(60)][:100]
    (tmp_path / "data" / "cat" / "f.csv").write_text(
        "timestamp,value\n" + "".join(f"{t},{i % 7}\n" for i, t in enumerate(stamps)))
    (tmp_path / "combined_windows.json").write_text(
        json.dumps({"cat/f.csv": [[stamps[60] + ".000000", stamps[69] + ".000000"]]}))
    sc = nab.NabScorer(tmp_path, scorer)
    series = nab.load_series(tmp_path)
    assert [s.rel for s in series] == ["cat/f.csv"] and series[0].values[8] == 1.0
    none = {"cat/f.csv": sc.file_scores("cat/f.csv", [])}
    left_edge = {"cat/f.csv": sc.file_scores("cat/f.csv", [60])}
    assert sc.normalised(none)["standard"] == pytest.approx(0.0)
    assert sc.normalised(left_edge)["standard"] == pytest.approx(100.0)
    # A false alarm before any window costs A_fp: 0.11 of the 2-point range, standard profile.
    early = {"cat/f.csv": sc.file_scores("cat/f.csv", [20, 60])}
    assert sc.normalised(early)["standard"] == pytest.approx(100.0 * (1 - 0.11 + 1) / 2)
