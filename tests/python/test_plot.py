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


def test_plot_caps_keys_and_ranks_them_by_score_over_threshold() -> None:
    out = _scored(6)
    out["Score"] = 1e-6  # below the threshold (3.5e-5) everywhere but on d4 and d2
    out.loc[out.index[out["device"] == "d4"][5], "Score"] = 1e3
    out.loc[out.index[out["device"] == "d2"][50], "Score"] = 1.0
    fig = streamcp.plot(out, value="temp", timestamp="t", partition_by="device", max_keys=2, title="x",
                        confidence=80, history=12)
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title(loc="left") == "device = 'd4'"
    assert fig.axes[2].get_title(loc="left") == "device = 'd2'"
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
    with pytest.raises(ValueError, match=r"data\['device'\] must hold numbers"):
        streamcp.plot(out, value="device", timestamp="t")
    with pytest.raises(ValueError, match=r"data\['temp'\] does not hold timestamps"):
        streamcp.plot(out, value="temp", timestamp="temp")


def test_plot_renders_to_png(tmp_path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = streamcp.plot(_scored(2), value="temp", timestamp="t", partition_by="device")
    FigureCanvasAgg(fig)
    fig.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000


def _legend(ax) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_plot_draws_the_threshold_known_changes_and_readable_ticks() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out = _scored(2)
    change = pd.Timestamp("2019-11-18T19:10:00")
    fig = streamcp.plot(out, value="temp", timestamp="t", partition_by="device", keys=["d1", "d0"],
                        confidence=80, history=12, change_points={"d1": [change]})
    FigureCanvasAgg(fig).draw()
    values_ax, score_ax = fig.axes[0], fig.axes[1]
    threshold = streamcp.AnomalyDetectionChangePoint(80, 12, "30m").threshold
    lines = {line.get_label(): line for line in score_ax.get_lines()}
    assert np.all(lines["alert threshold"].get_ydata() == threshold)
    assert _legend(values_ax) == ["temp", f"anomaly ({int((out[out['device'] == 'd1']['IsAnomaly'] == 1).sum())})", "known change"]
    assert _legend(score_ax) == ["martingale (Score)", "alert threshold"]
    assert "known change" not in _legend(fig.axes[2])
    # Log ticks: several labelled decades; dates: clock times, not day-and-hour pairs like "18 19:00".
    decades = [t for t in score_ax.get_yticks() if score_ax.get_ylim()[0] <= t <= score_ax.get_ylim()[1]]
    assert len(decades) >= 3
    labels = [t.get_text() for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    assert labels and all(":" in text and " " not in text for text in labels), labels


def test_plot_without_alerts_has_no_empty_legend_entry() -> None:
    out = _scored(1)
    out["IsAnomaly"] = 0
    fig = streamcp.plot(out, value="temp", timestamp="t")
    assert _legend(fig.axes[0]) == ["temp"]


def test_plot_labels_spike_and_dip_p_values_and_ranks_small_p_first() -> None:
    rng = np.random.default_rng(1)
    n = 300
    df = pd.DataFrame({"t": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n) * 10, unit="s"),
                       "device": np.where(np.arange(n) % 2 == 0, "calm", "spiky"), "v": rng.normal(0, 1, n)})
    df.loc[df.index[-1], "v"] = 40.0  # one spike on "spiky"
    out = streamcp.pandas.detect(df, value="v", timestamp="t", partition_by="device", confidence=95, history=20,
                                 duration="1h", mode="spikes")
    assert out["Score"].iloc[-1] == 1e-8  # the smallest p-value there is
    out.loc[out.index[:-1], "Score"] = out["Score"].iloc[:-1].clip(lower=1e-3)
    fig = streamcp.plot(out, value="v", timestamp="t", partition_by="device", confidence=95, history=20, mode="spikes")
    assert fig.axes[0].get_title(loc="left") == "device = 'spiky'"
    assert fig.axes[1].get_ylabel() == "p-value (Score)"
    lines = {line.get_label(): line for line in fig.axes[1].get_lines()}
    assert np.all(lines["alert threshold"].get_ydata() == pytest.approx(0.05))


def test_plot_into_given_axes() -> None:
    from matplotlib.figure import Figure

    out = _scored(2)
    outer = Figure()
    values_ax, score_ax = outer.subplots(2, 1)
    assert streamcp.plot(out, value="temp", timestamp="t", partition_by="device", keys=["d1"], ax=(values_ax, score_ax)) is outer
    assert values_ax.get_lines() and score_ax.get_yscale() == "log"
    single = Figure()
    ax = single.subplots()
    streamcp.plot(out, value="temp", timestamp="t", partition_by="device", keys=["d0"], ax=ax, threshold=1e-4)
    assert len(single.axes) == 2 and single.axes[1].get_ylabel() == "martingale (Score)"
    with pytest.raises(ValueError, match="ax draws one key"):
        streamcp.plot(out, value="temp", timestamp="t", partition_by="device", ax=ax)
    with pytest.raises(ValueError, match="confidence and history go together"):
        streamcp.plot(out, value="temp", timestamp="t", confidence=80)
