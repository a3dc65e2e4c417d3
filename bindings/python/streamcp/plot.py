# SPDX-License-Identifier: MIT
"""Plots of scored events (matplotlib, the optional extra ``streamcp[plot]``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._functions import AnomalyDetectionChangePoint, AnomalyDetectionSpikeAndDip

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot"]


def _need_matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 (optional dependency)
    except ImportError as e:  # pragma: no cover - exercised only without matplotlib
        msg = "streamcp.plot needs matplotlib: pip install 'streamcp[plot]'"
        raise ImportError(msg) from e
    return Figure


def _numbers(data: Any, name: Any) -> np.ndarray:
    import pandas as pd  # noqa: PLC0415 (optional dependency)

    try:
        return pd.to_numeric(data[name]).to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as e:
        msg = f"data[{name!r}] must hold numbers ({e})"
        raise ValueError(msg) from None


def _threshold(threshold: Any, confidence: Any, history: Any, mode: str | None, fractional_confidence: bool) -> float | None:
    """The alert threshold the function compares Score with, as the function computes it."""
    if threshold is not None:
        return float(threshold)
    if confidence is None and history is None:
        return None
    if confidence is None or history is None:
        msg = "confidence and history go together: the threshold depends on both"
        raise ValueError(msg)
    if mode is None:
        return AnomalyDetectionChangePoint(confidence, history, "1s", fractional_confidence).threshold
    return AnomalyDetectionSpikeAndDip(confidence, history, mode, "1s", fractional_confidence).threshold


def _severity(scores: np.ndarray, threshold: np.ndarray, p_value: bool) -> float:
    """How far a key's worst event goes past the threshold (> 1 alerts), for ranking keys."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = threshold / scores if p_value else scores / threshold
    ratio = ratio[~np.isnan(ratio)]
    return float(ratio.max()) if ratio.size else -np.inf


def _known_times(change_points: Any, key: Any, partitioned: bool) -> list[np.datetime64]:
    import pandas as pd  # noqa: PLC0415 (optional dependency)

    if change_points is None:
        return []
    if isinstance(change_points, Mapping):
        if not partitioned:
            msg = "change_points is {key: times} only with partition_by; give a list of times"
            raise ValueError(msg)
        change_points = change_points.get(key, [])
    stamps = pd.to_datetime(pd.Series(list(change_points), dtype=object), utc=True)
    return list(stamps.dt.tz_convert(None).to_numpy())


def _style_axes(values_ax: Axes, score_ax: Axes, log_score: bool, span: tuple[float, float] | None) -> None:
    import matplotlib.dates as mdates  # noqa: PLC0415
    import matplotlib.ticker as mticker  # noqa: PLC0415

    for ax in (values_ax, score_ax):
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if log_score and span is not None:
        score_ax.set_yscale("log")
        decades = np.log10(span[1]) - np.log10(span[0])
        # One labelled tick per decade (or 1-2-5 on a short span), never a lone tick.
        subs = (1.0,) if decades >= 3 else (1.0, 2.0, 5.0)
        score_ax.yaxis.set_major_locator(mticker.LogLocator(base=10, subs=subs, numticks=5))
        score_ax.yaxis.set_major_formatter(mticker.LogFormatterSciNotation(labelOnlyBase=False))
        score_ax.yaxis.set_minor_formatter(mticker.NullFormatter())


def plot(
    data: Any,
    *,
    value: Any,
    timestamp: Any,
    partition_by: Any = None,
    score: Any = "Score",
    is_anomaly: Any = "IsAnomaly",
    confidence: float | None = None,
    history: int | None = None,
    mode: str | None = None,
    fractional_confidence: bool = False,
    threshold: float | None = None,
    change_points: Any = None,
    keys: Any = None,
    max_keys: int = 4,
    log_score: bool = True,
    title: str | None = None,
    ax: Any = None,
) -> Figure:
    """Values over time with anomalies marked, and the score against the alert threshold beneath.

    Args:
        data: a DataFrame scored by :func:`streamcp.pandas.detect` (or any frame with the
            ``score`` and ``is_anomaly`` columns).
        value, timestamp, partition_by: the columns used for scoring.
        score, is_anomaly: the result columns (``Score`` and ``IsAnomaly`` by default).
        confidence, history, mode, fractional_confidence: the function's arguments, as given
            to ``detect``: they set the threshold line (an alert is a Score at or above it;
            with ``mode``, SpikeAndDip, Score is a p-value and alerts at or below it).
        threshold: the threshold itself, instead of ``confidence`` and ``history``. Without
            either, a ``Threshold`` column of ``data`` is drawn if there is one.
        change_points: known change points (times) to draw as dashed lines: a list, or with
            ``partition_by`` {key: list}.
        keys: the keys to draw; by default up to ``max_keys`` keys, those whose score goes
            furthest past the threshold first (the largest score without a threshold).
        log_score: draw the score on a log axis (the martingale spans many decades).
        title: the figure's title.
        ax: draw into existing axes instead of a new figure, for one key: an ``Axes`` (the
            score on a twin axis) or a pair (values axes, score axes).

    Returns:
        The ``matplotlib.figure.Figure`` (a new one, not attached to pyplot, unless ``ax``
        was given) with two panels per key.
    """
    import pandas as pd  # noqa: PLC0415 (optional dependency)

    figure_type = _need_matplotlib()
    for name in (value, timestamp, score, is_anomaly) + (() if partition_by is None else (partition_by,)):
        if name not in data.columns:
            msg = f"column {name!r} is not in the frame (columns: {list(data.columns)!r})"
            raise ValueError(msg)
    if not isinstance(max_keys, int) or isinstance(max_keys, bool) or max_keys < 1:
        msg = f"max_keys = {max_keys!r} is out of range: allowed an integer >= 1"
        raise ValueError(msg)
    limit = _threshold(threshold, confidence, history, mode, fractional_confidence)
    p_value = mode is not None

    try:
        if pd.api.types.is_numeric_dtype(data[timestamp]):  # epoch numbers have no unit to go by
            msg = f"numbers; convert them with pd.to_datetime(..., unit=...) first (dtype {data[timestamp].dtype})"
            raise TypeError(msg)
        times = pd.to_datetime(data[timestamp], utc=True).dt.tz_convert(None).to_numpy()
    except (ValueError, TypeError) as e:
        msg = f"data[{timestamp!r}] does not hold timestamps ({e})"
        raise ValueError(msg) from None
    values, scores = _numbers(data, value), _numbers(data, score)
    alerts = _numbers(data, is_anomaly) == 1.0
    if limit is not None:
        limits = np.full(len(data), limit)
    elif "Threshold" in data.columns:
        limits = _numbers(data, "Threshold")
    else:
        limits = None
    ranking_limits = limits if limits is not None else np.ones(len(data))

    if partition_by is None:
        groups: list[tuple[Any, np.ndarray]] = [(None, np.arange(len(data)))]
    else:
        column = data[partition_by].to_numpy(dtype=object, na_value=None)
        rows_of: dict[Any, list[int]] = {}
        for i, k in enumerate(column.tolist()):
            rows_of.setdefault(k, []).append(i)
        if keys is None:
            chosen = sorted(rows_of, key=lambda k: -_severity(scores[rows_of[k]], ranking_limits[rows_of[k]], p_value))
            chosen = chosen[:max_keys]
        else:
            chosen = list(keys)
            missing = [k for k in chosen if k not in rows_of]
            if missing:
                msg = f"keys {missing!r} do not appear in data[{partition_by!r}]"
                raise ValueError(msg)
        groups = [(k, np.asarray(rows_of[k], dtype=np.intp)) for k in chosen]

    twin = ax is not None and not isinstance(ax, (Sequence, np.ndarray))
    if ax is None:
        fig = figure_type(figsize=(10, 3.2 * len(groups)), layout="constrained")
        grid = fig.subplots(2 * len(groups), 1, sharex=True, gridspec_kw={"height_ratios": [2, 1] * len(groups)}, squeeze=False)
        panels = [(grid[2 * g, 0], grid[2 * g + 1, 0]) for g in range(len(groups))]
    else:
        if len(groups) != 1:
            msg = f"ax draws one key; {len(groups)} were chosen (pass keys=[...] or max_keys=1)"
            raise ValueError(msg)
        panels = [(ax, ax.twinx()) if twin else tuple(ax)]
        if len(panels[0]) != 2:
            msg = f"ax must be an Axes or a pair (values axes, score axes); got {len(panels[0])} axes"
            raise ValueError(msg)
        fig = panels[0][0].figure

    score_label = "p-value (Score)" if p_value else "martingale (Score)"
    for (key, rows), (top, bottom) in zip(groups, panels):
        rows = rows[np.argsort(times[rows], kind="stable")]
        t, v, s, a = times[rows], values[rows], scores[rows], alerts[rows]
        top.plot(t, v, color="tab:blue", linewidth=1.0, label=str(value))
        if a.any():
            top.scatter(t[a], v[a], color="tab:red", s=24, zorder=3, label=f"anomaly ({int(a.sum())})")
        shown = s.copy()
        finite = s[np.isfinite(s)]
        if np.isposinf(s).any():  # +inf martingales: draw them at the top of the axis
            shown[np.isposinf(s)] = float(finite.max()) * 10 if finite.size else 1.0
        bottom.plot(t, shown, color="tab:gray", linewidth=1.0, label=score_label)
        if a.any():
            bottom.scatter(t[a], shown[a], color="tab:red", s=12, zorder=3)
        if limits is not None and np.isfinite(limits[rows]).any():
            bottom.plot(t, limits[rows], color="tab:orange", linestyle="--", linewidth=1.2, label="alert threshold")
        known = _known_times(change_points, key, partition_by is not None)
        for i, when in enumerate(known):
            for panel in (top, bottom):
                panel.axvline(when, color="tab:green", linestyle=":", linewidth=1.5, label="known change" if i == 0 and panel is top else None)
        drawn = np.r_[shown, limits[rows] if limits is not None else []]
        positive = drawn[np.isfinite(drawn) & (drawn > 0)]
        _style_axes(top, bottom, log_score, (float(positive.min()), float(positive.max())) if positive.size else None)
        top.set_ylabel(str(value))
        bottom.set_ylabel(score_label)
        top.set_title(f"{partition_by} = {key!r}" if partition_by is not None else str(value), loc="left", fontsize="medium")
        top.legend(loc="upper left", fontsize="small")
        bottom.legend(loc="upper right" if twin else "upper left", fontsize="small")
    panels[-1][1].set_xlabel(f"{timestamp} (UTC)")
    if title is not None:
        fig.suptitle(title)
    return fig
