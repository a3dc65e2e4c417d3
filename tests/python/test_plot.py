# SPDX-License-Identifier: MIT
"""streamcp.plot returns a Figure with two axes per key (values, score)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import streamcp
import streamcp.pandas

matplotlib = pytest.importorskip("matplotlib")


def _scored(devices: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120 * devices
    df = pd.DataFrame(
        {
            "t": pd.Timestamp("2019-11-18T19:00:00") + pd.to_timedelta(np.arange(n) // devices * 10, unit="s"),
            "device": [f"d{i % devices}" for i in range(n)],
            "temp": rng.uniform(20, 25, n),
        }
    )
    df.loc[(df["device"] == "d1") & (df.index > n // 2), "temp"] += 50
    return streamcp.pandas.detect(df, value="temp", timestamp="t", partition_by="device", confidence=80, history=12, duration="30m")


def test_plot_one_panel_pair_per_key() -> None:
    from matplotlib.figure import Figure

    out = _scored(3)
    fig = streamcp.plot(out, value="temp", timestamp="t", partition_by="device")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6
    assert fig.axes[1].get_yscale() == "log"
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None


def test_plot_caps_keys_and_puts_anomalous_keys_first() -> None:
    out = _scored(6)
    out.loc[out["device"] != "d4", "IsAnomaly"] = 0  # only d4 alerts
    fig = streamcp.plot(out, value="temp", timestamp="t", partition_by="device", max_keys=2, title="x")
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title(loc="left") == "device = 'd4'"
    assert fig.axes[2].get_title(loc="left") == "device = 'd0'"
    fig = streamcp.plot(out, value="temp", timestamp="t", partition_by="device", keys=["d5"])
    assert len(fig.axes) == 2


def test_plot_without_partitions_and_errors() -> None:
    out = _scored(1)
    fig = streamcp.plot(out, value="temp", timestamp="t")
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="nope"):
        streamcp.plot(out, value="nope", timestamp="t")
    with pytest.raises(ValueError, match="keys"):
        streamcp.plot(out, value="temp", timestamp="t", partition_by="device", keys=["zz"])


def test_plot_renders_to_png(tmp_path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = streamcp.plot(_scored(2), value="temp", timestamp="t", partition_by="device")
    FigureCanvasAgg(fig)
    fig.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
