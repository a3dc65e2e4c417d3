# SPDX-License-Identifier: MIT
"""streamcp.pandas.detect: row order, dtypes, equality with evaluate_many."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import streamcp
import streamcp.pandas


def _frame(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2019-11-18T19:00:00") + pd.to_timedelta(np.arange(n) * 10, unit="s")
    device = rng.choice(["a", "b", "c"], n)
    temp = rng.uniform(20, 25, n)
    temp[(device == "c") & (np.arange(n) > n // 2)] += 50
    return pd.DataFrame({"datetime": t, "device": device, "temp": temp, "other": np.arange(n)})


def test_detect_equals_evaluate_many_on_time_order() -> None:
    df = _frame()
    out = streamcp.pandas.detect(
        df, value="temp", timestamp="datetime", partition_by="device", confidence=80, history=12, duration="30m"
    )
    want = streamcp.AnomalyDetectionChangePoint(80, 12, "30m").evaluate_many(df["device"], df["datetime"], df["temp"])
    np.testing.assert_array_equal(out["Score"].to_numpy(), want["score"])
    np.testing.assert_array_equal(out["IsAnomaly"].to_numpy(dtype=np.int8), want["is_anomaly"].astype(np.int8))
    assert out["IsAnomaly"].sum() > 0


def test_dtypes_columns_and_copy() -> None:
    df = _frame()
    df.loc[5, "temp"] = np.nan
    out = streamcp.pandas.detect(
        df, value="temp", timestamp="datetime", partition_by="device", confidence=80, history=12, duration="30m"
    )
    assert out is not df and "Score" not in df.columns
    assert list(out.columns) == [*df.columns, "Score", "IsAnomaly"]
    assert out["Score"].dtype == np.float64
    assert out["IsAnomaly"].dtype == pd.Int8Dtype()
    assert out["IsAnomaly"].isna().tolist() == out["Score"].isna().tolist()
    assert pd.isna(out.loc[5, "IsAnomaly"]) and np.isnan(out.loc[5, "Score"])
    assert set(out["IsAnomaly"].dropna().unique()) <= {0, 1}
    pd.testing.assert_frame_equal(out[df.columns], df)
    # existing result columns are replaced
    again = streamcp.pandas.detect(
        out, value="temp", timestamp="datetime", partition_by="device", confidence=80, history=12, duration="30m"
    )
    assert list(again.columns) == list(out.columns)
    pd.testing.assert_frame_equal(again, out)


def test_shuffled_rows_keep_their_order_and_results() -> None:
    df = _frame()
    kwargs = dict(value="temp", timestamp="datetime", partition_by="device", confidence=80, history=12, duration="30m")
    ordered = streamcp.pandas.detect(df, **kwargs)
    shuffled = df.sample(frac=1.0, random_state=4)
    out = streamcp.pandas.detect(shuffled, **kwargs)
    assert out.index.tolist() == shuffled.index.tolist()
    pd.testing.assert_frame_equal(out.sort_index(), ordered)


def test_equal_times_keep_row_order() -> None:
    t = pd.Timestamp("2019-11-18T19:00:00")
    df = pd.DataFrame({"t": [t + pd.Timedelta(seconds=s) for s in (10, 0, 10, 10, 0)], "v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    out = streamcp.pandas.detect(df, value="v", timestamp="t", confidence=80, history=3, duration="1m")
    order = [1, 4, 0, 2, 3]  # stable by time
    want = streamcp.AnomalyDetectionChangePoint(80, 3, "1m").evaluate_many(None, df["t"].iloc[order], df["v"].iloc[order])
    np.testing.assert_array_equal(out["Score"].to_numpy()[order], want["score"])


def test_when_column_and_mask_and_string_timestamps() -> None:
    df = _frame(120)
    df["ok"] = pd.array(np.arange(120) % 5 != 0, dtype="boolean")
    df.loc[3, "ok"] = pd.NA
    df["iso"] = df["datetime"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin").map(lambda t: t.isoformat())
    kwargs = dict(value="temp", partition_by="device", confidence=80, history=12, duration="30m")
    a = streamcp.pandas.detect(df, timestamp="datetime", when="ok", **kwargs)
    b = streamcp.pandas.detect(df, timestamp="iso", when=df["ok"].fillna(False).to_numpy(dtype=bool), **kwargs)
    pd.testing.assert_series_equal(a["Score"], b["Score"])
    pd.testing.assert_series_equal(a["IsAnomaly"], b["IsAnomaly"])
    assert a["IsAnomaly"].isna().sum() == 25  # 24 false + 1 NA


def test_integer_and_missing_keys() -> None:
    df = _frame(90)
    df["dev"] = pd.array(np.where(df["device"] == "a", 1, 2), dtype="Int64")
    df.loc[df["device"] == "c", "dev"] = pd.NA
    out = streamcp.pandas.detect(df, value="temp", timestamp="datetime", partition_by="dev", confidence=80, history=5, duration="1m")
    keys = [None if k is pd.NA else int(k) for k in df["dev"]]
    want = streamcp.AnomalyDetectionChangePoint(80, 5, "1m").evaluate_many(keys, df["datetime"], df["temp"])
    np.testing.assert_array_equal(out["Score"].to_numpy(), want["score"])


def test_spike_and_dip_mode() -> None:
    df = _frame(100)
    out = streamcp.pandas.detect(df, value="temp", timestamp="datetime", partition_by="device", confidence=90, history=8, duration="10m", mode="spikes")
    want = streamcp.AnomalyDetectionSpikeAndDip(90, 8, "spikes", "10m").evaluate_many(df["device"], df["datetime"], df["temp"])
    np.testing.assert_array_equal(out["Score"].to_numpy(), want["score"])


def test_empty_frame() -> None:
    df = _frame(0)
    out = streamcp.pandas.detect(df, value="temp", timestamp="datetime", partition_by="device", confidence=80, history=12, duration="30m")
    assert len(out) == 0 and out["IsAnomaly"].dtype == pd.Int8Dtype()


def test_errors_name_the_argument() -> None:
    df = _frame(10)
    kwargs = dict(value="temp", timestamp="datetime", confidence=80, history=12, duration="30m")
    with pytest.raises(ValueError, match="value = 'nope'"):
        streamcp.pandas.detect(df, **{**kwargs, "value": "nope"})
    with pytest.raises(ValueError, match="partition_by"):
        streamcp.pandas.detect(df, partition_by="nope", **kwargs)
    with pytest.raises(ValueError, match="duration"):
        streamcp.pandas.detect(df, **{**kwargs, "duration": "9d"})
    with pytest.raises(TypeError, match="df"):
        streamcp.pandas.detect(df.to_dict(), **kwargs)
    df.loc[4, "datetime"] = pd.NaT
    with pytest.raises(ValueError, match=r"df\['datetime'\]\[4\] is missing"):
        streamcp.pandas.detect(df, **kwargs)


def test_detect_with_the_robust_detector_per_partition() -> None:
    rng = np.random.default_rng(8)
    n = 400
    times = pd.date_range("2024-01-01", periods=n, freq="1min")
    a = rng.normal(0, 1, n) + np.where(np.arange(n) >= 250, 8.0, 0.0)  # a shift at 250
    b = rng.normal(0, 1, n)
    df = pd.DataFrame({
        "t": np.r_[times, times], "device": ["a"] * n + ["b"] * n, "v": np.r_[a, b],
    }).sample(frac=1.0, random_state=3)  # any row order: detect sorts by time
    out = streamcp.pandas.detect(df, value="v", timestamp="t", partition_by="device",
                                 duration="1h", detector="robust", history=60)
    # Each device equals its own detector over its values (interval 1 min: nothing imputed).
    for device, values in (("a", a), ("b", b)):
        rows = out[out["device"] == device].sort_values("t")
        expected = streamcp.RobustChangePointDetector(history=60).update_many(values)
        assert np.array_equal(rows["IsAnomaly"].to_numpy(dtype=np.int8), expected["is_change"].astype(np.int8))
        assert np.allclose(rows["Score"].to_numpy(), expected["score"])
    assert out[out["device"] == "a"]["IsAnomaly"].sum() >= 1
    with pytest.raises(ValueError, match="detector"):
        streamcp.pandas.detect(df, value="v", timestamp="t", duration="1h", detector="fast")
    with pytest.raises(ValueError, match="required"):
        streamcp.pandas.detect(df, value="v", timestamp="t", duration="1h")


_ASA = dict(value="temp", confidence=80, history=12, duration="30m")


def test_float_key_column_with_nan_is_integer_keys_and_the_null_key() -> None:
    df = _frame()
    df["dev"] = df["device"].map({"a": 1, "b": 2, "c": None}).astype("float64")
    want = streamcp.pandas.detect(
        df.assign(dev=df["dev"].astype("Int64")), timestamp="datetime", partition_by="dev", **_ASA
    )
    got = streamcp.pandas.detect(df, timestamp="datetime", partition_by="dev", **_ASA)
    pd.testing.assert_frame_equal(got, want.assign(dev=df["dev"]))
    with pytest.raises(TypeError, match=r"must be a str, an int or None; got the float 1\.5"):
        streamcp.pandas.detect(df.assign(dev=1.5), timestamp="datetime", partition_by="dev", **_ASA)


def test_errors_name_the_column_row_label_position_and_key() -> None:
    df = _frame(40).iloc[::-1].set_axis(np.arange(1000, 1040))  # time order reversed
    df.loc[1003, "temp"] = np.inf
    with pytest.raises(ValueError, match=r"df\['temp'\] at row 1003 \(position 3, key '[abc]'\): value"):
        streamcp.pandas.detect(df, timestamp="datetime", partition_by="device", **_ASA)
    f = streamcp.AnomalyDetectionChangePoint(80, 12, "30m")
    with pytest.raises(streamcp.BatchError) as caught:
        f.evaluate_many(["a", "a"], ["2019-11-18T19:00:00Z", "2019-11-18T18:00:00Z"], [1.0, 2.0])
    assert (caught.value.index, caught.value.field, caught.value.key) == (1, "timestamps", "a")
    assert isinstance(caught.value, ValueError)


def test_tuple_labels_index_levels_and_epoch_units_give_the_same_scores() -> None:
    df = _frame()
    want = streamcp.pandas.detect(df, timestamp="datetime", partition_by="device", **_ASA)
    tuples = df.set_axis(pd.MultiIndex.from_tuples([("t", "when"), ("k", "dev"), ("v", "temp"), ("o", "x")]), axis=1)
    got = streamcp.pandas.detect(
        tuples, value=("v", "temp"), timestamp=("t", "when"), partition_by=("k", "dev"),
        confidence=80, history=12, duration="30m",
    )
    np.testing.assert_array_equal(got[("Score", "")], want["Score"])
    indexed = df.set_index("datetime")
    for timestamp in ("datetime", None):
        got = streamcp.pandas.detect(indexed, timestamp=timestamp, partition_by="device", **_ASA)
        np.testing.assert_array_equal(got["Score"].to_numpy(), want["Score"].to_numpy())
    epoch_s = df.assign(datetime=df["datetime"].astype("datetime64[ns]").astype("int64") // 10**9)
    for unit, column in (("s", epoch_s["datetime"]), ("ms", epoch_s["datetime"] * 1000), ("s", epoch_s["datetime"] * 1.0)):
        got = streamcp.pandas.detect(epoch_s.assign(datetime=column), timestamp="datetime", timestamp_unit=unit,
                                     partition_by="device", **_ASA)
        np.testing.assert_array_equal(got["Score"], want["Score"])
    with pytest.raises(ValueError, match="timestamp_unit = 'h'"):
        streamcp.pandas.detect(epoch_s, timestamp="datetime", timestamp_unit="h", **_ASA)
    with pytest.raises(TypeError, match="timestamp_unit applies to epoch numbers"):
        streamcp.pandas.detect(df, timestamp="datetime", timestamp_unit="s", **_ASA)


def test_extra_p_value_and_threshold_columns_are_each_keys_models() -> None:
    df = _frame(240).sample(frac=1.0, random_state=6)  # detect sorts by time
    df.loc[df.index[7], "temp"] = np.nan
    kwargs = dict(timestamp="datetime", partition_by="device", confidence=80.7, history=12, duration="2h")
    out = streamcp.pandas.detect(df, value="temp", extra=("PValue", "Threshold"), **kwargs)
    assert list(out.columns) == [*df.columns, "Score", "IsAnomaly", "PValue", "Threshold"]
    assert out["PValue"].dtype == np.float64 and out["Threshold"].dtype == np.float64
    base = streamcp.pandas.detect(df, value="temp", **kwargs)
    pd.testing.assert_frame_equal(out[base.columns], base)
    # Rows 10 s apart over three keys, interval 600 s: nothing is imputed, so each key's
    # p-values are those of ML.NET's detector over its values (confidence truncated to 80).
    for device in "abc":
        rows = out[out["device"] == device].sort_values("datetime")
        assert rows["datetime"].diff().max() < pd.Timedelta("600s")
        want = streamcp.ChangePointDetector(80, 12).update_many(rows["temp"])
        np.testing.assert_array_equal(rows["PValue"].to_numpy(), want["p_value"])
        np.testing.assert_array_equal(rows["Score"].to_numpy(), want["score"])
    assert np.isnan(out.loc[df.index[7], "PValue"])
    threshold = streamcp.AnomalyDetectionChangePoint(80, 12, "2h").threshold
    assert (out["Threshold"] == threshold).all()
    # The order given; a single name; duplicates once.
    again = streamcp.pandas.detect(df, value="temp", extra=["Threshold", "PValue", "Threshold"], **kwargs)
    assert list(again.columns)[-2:] == ["Threshold", "PValue"]
    one = streamcp.pandas.detect(df, value="temp", extra="PValue", **kwargs)
    pd.testing.assert_series_equal(one["PValue"], out["PValue"])
    pd.testing.assert_frame_equal(streamcp.pandas.detect(df, value="temp", extra=None, **kwargs), base)


def test_extra_for_spike_and_dip_and_the_robust_detector() -> None:
    df = _frame(200)
    spikes = streamcp.pandas.detect(df, value="temp", timestamp="datetime", partition_by="device", confidence=90,
                                    history=8, duration="10m", mode="spikes", extra=("PValue", "Threshold"))
    np.testing.assert_array_equal(spikes["PValue"].to_numpy(), spikes["Score"].to_numpy())
    assert np.allclose(spikes["Threshold"], 0.1)
    robust = streamcp.pandas.detect(df, value="temp", timestamp="datetime", partition_by="device",
                                    duration="2h", detector="robust", history=12, extra=("PValue", "Threshold"))
    model = streamcp.RobustChangePointDetector(history=12)
    assert (robust["Threshold"] == model.threshold).all()
    for device in "abc":
        rows = robust[robust["device"] == device]
        assert rows["datetime"].diff().max() < pd.Timedelta("600s")  # nothing imputed
        want = streamcp.RobustChangePointDetector(history=12).update_many(rows["temp"])
        np.testing.assert_array_equal(rows["PValue"].to_numpy(), want["p_value"])


def test_extra_names_are_checked() -> None:
    df = _frame(10)
    kwargs = dict(value="temp", timestamp="datetime", confidence=80, history=12, duration="30m")
    with pytest.raises(ValueError, match=r"'Score' is not an optional output column; allowed 'PValue' and 'Threshold'"):
        streamcp.pandas.detect(df, extra=("PValue", "Score"), **kwargs)
    with pytest.raises(ValueError, match=r"'pvalue' is not an optional output column"):
        streamcp.pandas.detect(df, extra="pvalue", **kwargs)
    with pytest.raises(TypeError, match="extra must be a sequence of column names; got int"):
        streamcp.pandas.detect(df, extra=5, **kwargs)


def test_scoring_in_chunks_equals_one_batch_and_errors_name_the_row(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _frame(300).sample(frac=1.0, random_state=9).set_axis(np.arange(5000, 5300))
    df["ok"] = np.arange(300) % 4 != 0
    kwargs = dict(value="temp", timestamp="datetime", partition_by="device", confidence=80, history=12,
                  duration="30m", when="ok", extra=("PValue",))
    whole = streamcp.pandas.detect(df, **kwargs)
    assert whole["IsAnomaly"].isna().sum() == 75 and whole["PValue"].isna().sum() == 75
    in_time_order = streamcp.pandas.detect(df.sort_values("datetime"), **kwargs)
    monkeypatch.setattr(streamcp.pandas, "_CHUNK", 7)
    pd.testing.assert_frame_equal(streamcp.pandas.detect(df, **kwargs), whole)
    pd.testing.assert_frame_equal(streamcp.pandas.detect(df.sort_values("datetime"), **kwargs), in_time_order)
    # A refusal in a later chunk names the user's row, for rows in and out of time order.
    late = df["datetime"].idxmax()
    position = df.index.get_loc(late)
    bad = df.copy()
    bad.loc[late, ["temp", "ok"]] = [np.inf, True]
    with pytest.raises(ValueError, match=rf"df\['temp'\] at row {late} \(position {position}, key '[abc]'\): value"):
        streamcp.pandas.detect(bad, **kwargs)
    ordered = bad.sort_values("datetime")
    with pytest.raises(ValueError, match=rf"df\['temp'\] at row {late} \(position {len(df) - 1}, key '[abc]'\)"):
        streamcp.pandas.detect(ordered, **kwargs)
    keyed = df.assign(dev=np.where(df.index == late, 1.5, 1.0))
    with pytest.raises(TypeError, match=rf"df\['dev'\] at row {late} \(position {position}\) must be a str, an int or None; got the float 1\.5"):
        streamcp.pandas.detect(keyed, **{**kwargs, "partition_by": "dev"})
