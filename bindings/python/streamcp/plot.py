# SPDX-License-Identifier: MIT
"""Plots of scored events (matplotlib, the optional extra ``streamcp[plot]``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._convert import to_times_ns, to_values

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot"]


def _need_matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 (optional dependency)
    except ImportError as e:  # pragma: no cover - exercised only without matplotlib
        msg = "streamcp.plot needs matplotlib: pip install 'streamcp[plot]'"
        raise ImportError(msg) from e
    return Figure


def plot(
    data: Any,
    *,
    value: str,
    timestamp: str,
    partition_by: str | None = None,
    score: str = "Score",
    is_anomaly: str = "IsAnomaly",
    keys: Any = None,
    max_keys: int = 4,
    log_score: bool = True,
    title: str | None = None,
) -> Figure:
    """Values over time with anomalies marked, and the score on a log axis beneath.

    Args:
        data: a DataFrame scored by :func:`streamcp.pandas.detect` (or any frame with the
            ``score`` and ``is_anomaly`` columns).
        value, timestamp, partition_by: the columns used for scoring.
        score, is_anomaly: the result columns (``Score`` and ``IsAnomaly`` by default).
        keys: the keys to draw; by default up to ``max_keys`` keys, those with anomalies
            first, then in order of first appearance.
        log_score: draw the score on a log axis (the martingale spans many decades).
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot) with two axes per key: the
        values (anomalies as red dots) and the score beneath.
    """
    figure_type = _need_matplotlib()
    for name in (value, timestamp, score, is_anomaly) + (() if partition_by is None else (partition_by,)):
        if name not in data.columns:
            msg = f"column {name!r} is not in the frame (columns: {list(data.columns)!r})"
            raise ValueError(msg)
    if not isinstance(max_keys, int) or max_keys < 1:
        msg = f"max_keys = {max_keys!r} is out of range: allowed an integer >= 1"
        raise ValueError(msg)

    times = to_times_ns(data[timestamp], f"data[{timestamp!r}]").astype("datetime64[ns]")
    values = to_values(data[value], f"data[{value!r}]")
    scores = to_values(data[score], f"data[{score!r}]")
    alerts = to_values(data[is_anomaly], f"data[{is_anomaly!r}]") == 1.0

    if partition_by is None:
        groups: list[tuple[Any, np.ndarray]] = [(None, np.arange(len(data)))]
    else:
        column = data[partition_by].to_numpy(dtype=object, na_value=None)
        first: dict[Any, list[int]] = {}
        for i, k in enumerate(column.tolist()):
            first.setdefault(k, []).append(i)
        if keys is None:
            ranked = sorted(first, key=lambda k: (not alerts[first[k]].any(), first[k][0]))
            chosen = ranked[:max_keys]
        else:
            chosen = list(keys)
            missing = [k for k in chosen if k not in first]
            if missing:
                msg = f"keys {missing!r} do not appear in data[{partition_by!r}]"
                raise ValueError(msg)
        groups = [(k, np.asarray(first[k], dtype=np.intp)) for k in chosen]

    fig = figure_type(figsize=(10, 3.2 * len(groups)), layout="constrained")
    axes = fig.subplots(2 * len(groups), 1, sharex=True, gridspec_kw={"height_ratios": [2, 1] * len(groups)}, squeeze=False)[:, 0]
    for g, (key, rows) in enumerate(groups):
        rows = rows[np.argsort(times[rows], kind="stable")]
        t, v, s, a = times[rows], values[rows], scores[rows], alerts[rows]
        top, bottom = axes[2 * g], axes[2 * g + 1]
        top.plot(t, v, color="tab:blue", linewidth=1.0, label=value)
        top.scatter(t[a], v[a], color="tab:red", s=24, zorder=3, label=f"anomaly ({int(a.sum())})")
        top.set_ylabel(value)
        top.set_title(f"{partition_by} = {key!r}" if partition_by is not None else value, loc="left", fontsize="medium")
        top.legend(loc="upper left", fontsize="small")
        shown = np.where(np.isfinite(s), s, np.nan)
        if np.isinf(s).any():  # +inf martingales: draw them at the top of the axis
            finite = s[np.isfinite(s)]
            ceiling = float(finite.max()) * 10 if finite.size else 1.0
            shown = np.where(np.isposinf(s), ceiling, shown)
        positive = shown[np.isfinite(shown) & (shown > 0)]
        bottom.plot(t, shown, color="tab:gray", linewidth=1.0)
        bottom.scatter(t[a], shown[a], color="tab:red", s=12, zorder=3)
        if log_score and positive.size:
            bottom.set_yscale("log")
        bottom.set_ylabel(score)
    axes[-1].set_xlabel(f"{timestamp} (UTC)")
    if title is not None:
        fig.suptitle(title)
    return fig
