# SPDX-License-Identifier: MIT
"""ML.NET's own vectors through the Python API (semantics.md#tolerances, the C++ test's comparison rules).

Alerts match exactly everywhere; float32-printed sets match after rounding both sides to
float32; ``directapi_changedetection`` matches bit for bit; other sets by their own rule.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import streamcp
from conftest import DATA_DIR

with (DATA_DIR / "mlnet_vectors.json").open(encoding="utf-8") as _f:
    SET_IDS = [s["id"] for s in json.load(_f)["sets"]]


def _matches(s: dict[str, Any], got: np.ndarray, want: np.ndarray) -> np.ndarray:
    compare = s["compare"]
    if s["id"] == "directapi_changedetection":
        return got == want
    if compare["mode"] == "float32":
        return got.astype(np.float32) == want.astype(np.float32)
    if compare["mode"] == "abs":
        return np.abs(got - want) <= compare["tol"]
    if compare["mode"] == "decimals":
        return np.abs(got - want) <= 0.5 * 10.0 ** -compare["decimals"] + 1e-9
    pytest.fail(f"unknown compare mode {compare['mode']!r}")
    return None


def _detector(s: dict[str, Any]) -> streamcp.ChangePointDetector | streamcp.SpikeAndDipDetector:
    p = s["params"]
    if s["kind"] == "iid_spike":
        mode = "spikes" if p["side"] == "positive" else "dips"
        return streamcp.SpikeAndDipDetector(p["confidence"], p["pvalue_history_length"], mode)
    return streamcp.ChangePointDetector(
        p["confidence"], p["change_history_length"], p["martingale"], p["eps"]
    )


def test_the_file_holds_nine_sets(mlnet_sets: list[dict[str, Any]]) -> None:
    assert len(mlnet_sets) == 9


@pytest.mark.parametrize("set_id", SET_IDS)
@pytest.mark.parametrize("path", ["update", "update_many"])
def test_every_row_matches(mlnet_sets: list[dict[str, Any]], set_id: str, path: str) -> None:
    s = next(x for x in mlnet_sets if x["id"] == set_id)
    det = _detector(s)
    inputs = np.asarray(s["inputs"], dtype=np.float64)
    if path == "update":
        rows = [det.update(x) for x in inputs]
        alert = np.array([r.is_anomaly for r in rows])
        p_value = np.array([r.p_value for r in rows])
        score = np.array([r.score for r in rows])
    else:
        out = det.update_many(inputs)
        alert, p_value, score = out["is_anomaly"], out["p_value"], out["score"]

    expected = np.asarray(s["expected"], dtype=np.float64)
    m = expected.shape[0]
    columns = s["expected_columns"]
    np.testing.assert_array_equal(alert[:m], expected[:, columns.index("alert")] == 1, err_msg=f"{set_id}: alerts")
    raw = inputs.astype(np.float32).astype(np.float64)
    checks = {"raw_score": raw, "p_value": p_value}
    if "martingale" in columns:
        checks["martingale"] = score
    for name, got in checks.items():
        want = expected[:, columns.index(name)]
        ok = _matches(s, got[:m], want)
        bad = np.flatnonzero(~ok)
        assert bad.size == 0, (
            f"{set_id} {name}: {bad.size} cells differ; first at row {bad[0]}: "
            f"got {got[bad[0]]!r} want {want[bad[0]]!r}"
        )


def test_spike_score_is_the_p_value(mlnet_sets: list[dict[str, Any]]) -> None:
    s = next(x for x in mlnet_sets if x["kind"] == "iid_spike")
    out = _detector(s).update_many(s["inputs"])
    np.testing.assert_array_equal(out["score"], out["p_value"])
