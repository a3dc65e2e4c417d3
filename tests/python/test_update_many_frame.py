# SPDX-License-Identifier: MIT
"""update_many(..., as_frame=True): the structured result as a DataFrame, indexed like a Series."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import streamcp


def _values() -> pd.Series:
    rng = np.random.default_rng(12)
    values = rng.normal(20.0, 1.0, 200)
    values[120:] += 6.0
    values[30] = np.nan
    index = pd.date_range("2024-03-01", periods=200, freq="5min", name="when")
    return pd.Series(values, index=index, name="temp")


@pytest.mark.parametrize(
    ("make", "columns"),
    [
        (lambda: streamcp.ChangePointDetector(90, 20), {"score": "Score", "is_anomaly": "IsAnomaly", "p_value": "PValue"}),
        (lambda: streamcp.SpikeAndDipDetector(95, 20), {"score": "Score", "is_anomaly": "IsAnomaly", "p_value": "PValue"}),
        (
            lambda: streamcp.RobustChangePointDetector(history=60),
            {"score": "Score", "is_change": "IsAnomaly", "p_value": "PValue", "onset_lag": "OnsetLag"},
        ),
    ],
)
def test_as_frame_holds_update_many_columns_on_the_series_index(make, columns) -> None:
    values = _values()
    rows = make().update_many(values)
    frame = make().update_many(values, as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(columns.values())
    assert frame.index.equals(values.index) and frame.index.name == "when"
    for field, column in columns.items():
        np.testing.assert_array_equal(frame[column].to_numpy(), rows[field])
        assert frame[column].dtype == rows.dtype[field]
    assert frame["IsAnomaly"].any()
    # Without a Series the rows are numbered; the detector's state advanced as update_many's.
    det = make()
    plain = det.update_many(values.to_numpy(), as_frame=True)
    assert plain.index.equals(pd.RangeIndex(len(values)))
    twin = make()
    twin.update_many(values)
    assert det.snapshot() == twin.snapshot()


def test_as_frame_is_checked_and_needs_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    det = streamcp.ChangePointDetector(95, 20)
    with pytest.raises(TypeError, match=r"as_frame must be a bool; got 1 \(int\)"):
        det.update_many([1.0, 2.0], as_frame=1)
    before = det.snapshot()
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    for detector in (det, streamcp.RobustChangePointDetector()):
        with pytest.raises(ImportError, match=r"update_many\(\.\.\., as_frame=True\) needs pandas: pip install pandas"):
            detector.update_many([1.0, 2.0], as_frame=True)
    assert det.snapshot() == before  # refused before anything was scored
    assert det.update_many([1.0, 2.0]).shape == (2,)
