# SPDX-License-Identifier: MIT
"""Change-point metrics of the Turing change-point benchmark (TCPDBench).

An independent implementation of the definitions in G. J. J. van den Burg and
C. K. I. Williams, "An Evaluation of Change Point Detection Algorithms" (arXiv:2003.06222),
section 4, as TCPDBench applies them:

- every annotation set and the prediction set contain index 0 (the start of the series
  is a trivially correct change point, so predicting nothing still scores);
- predictions outside ``1 .. n_obs - 2`` are dropped first;
- **F1** (margin 5): precision counts the predictions that match a point of the *union*
  of the annotators' sets; recall is the mean over annotators of the fraction of *their*
  points matched. A true point matches at most one prediction (the closest one within
  the margin) and vice versa;
- **Cover**: each annotator's segmentation is covered by the predicted one (segments
  weighted by length, each matched to the predicted segment of the largest Jaccard
  overlap); the result is the mean over annotators.

Checked against the published TCPDBench v3 scores of the "zero" method (predicts
nothing) on every series: see ``tests/python/test_quality.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "MARGIN",
    "clean_predictions",
    "covering",
    "detection_delays",
    "f_measure",
    "precision_recall",
    "true_positives",
]

#: TCPDBench's margin, in samples, within which a prediction matches a true point.
MARGIN = 5

Annotations = Mapping[str, Sequence[int]]


def clean_predictions(predictions: Iterable[int], n_obs: int) -> list[int]:
    """The predictions TCPDBench scores: unique, sorted, within ``1 .. n_obs - 2``.

    0 is implicit (added by the metrics) and ``n_obs - 1`` cannot start a segment
    of more than one point.
    """
    return sorted({int(p) for p in predictions if 0 < int(p) < n_obs - 1})


def true_positives(
    truth: Iterable[int], predictions: Iterable[int], margin: int = MARGIN
) -> set[int]:
    """The true points matched by a prediction within ``margin``.

    Each true point, in iteration order, takes the closest still unused prediction (the
    smaller one on a tie), so a prediction is never counted twice. The order only matters
    when two true points compete for one prediction; callers pass Python sets built as
    TCPDBench builds them, so such ties resolve as in the published scores.
    """
    unused = set(predictions)
    matched: set[int] = set()
    for tau in truth:
        close = sorted((abs(tau - x), x) for x in unused if abs(tau - x) <= margin)
        if close:
            matched.add(tau)
            unused.remove(close[0][1])
    return matched


def precision_recall(
    annotations: Annotations, predictions: Iterable[int], n_obs: int, margin: int = MARGIN
) -> tuple[float, float]:
    """TCPDBench's precision (against the union of annotators) and recall (mean per annotator)."""
    if not annotations:
        msg = "annotations must hold at least one annotator"
        raise ValueError(msg)
    # Built in TCPDBench's order (set, then add 0; the union element by element) so that
    # iteration order, which breaks matching ties, is the same.
    x = set(clean_predictions(predictions, n_obs))
    x.add(0)
    sets = []
    for a in annotations.values():
        t = {int(c) for c in a}
        t.add(0)
        sets.append(t)
    union: set[int] = set()
    for t in sets:
        for tau in t:
            union.add(tau)
    precision = len(true_positives(union, x, margin)) / len(x)
    # (1/K)·Σ rather than Σ/K: the published scores were computed in this order.
    recall = 1 / len(sets) * sum(len(true_positives(t, x, margin)) / len(t) for t in sets)
    return precision, recall


def f_measure(
    annotations: Annotations, predictions: Iterable[int], n_obs: int, margin: int = MARGIN
) -> float:
    """TCPDBench's F1 score (harmonic mean of :func:`precision_recall`), in [0, 1]."""
    p, r = precision_recall(annotations, predictions, n_obs, margin)
    # P·R / (αR + (1 − α)P) with α = ½, in this order so that the result is bit-identical to
    # the published scores. p, r > 0 since index 0 always matches.
    alpha = 0.5
    return p * r / (alpha * r + (1 - alpha) * p)


def _segments(cps: Iterable[int], n_obs: int) -> list[tuple[int, int]]:
    """Half-open segments [start, end) that the change points split 0 .. n_obs - 1 into."""
    bounds = sorted({0, *(int(c) for c in cps if 0 < int(c) < n_obs), n_obs})
    return list(zip(bounds[:-1], bounds[1:]))


def _cover_single(
    predicted: list[tuple[int, int]], truth: list[tuple[int, int]], n_obs: int
) -> float:
    total = 0.0
    for a0, a1 in truth:
        best = 0.0
        for b0, b1 in predicted:
            inter = min(a1, b1) - max(a0, b0)
            if inter > 0:
                best = max(best, inter / (max(a1, b1) - min(a0, b0)))
        total += (a1 - a0) * best
    return total / n_obs


def covering(annotations: Annotations, predictions: Iterable[int], n_obs: int) -> float:
    """TCPDBench's Cover: how well the predicted segmentation covers each annotator's, averaged."""
    if not annotations:
        msg = "annotations must hold at least one annotator"
        raise ValueError(msg)
    predicted = _segments(clean_predictions(predictions, n_obs), n_obs)
    scores = [_cover_single(predicted, _segments(a, n_obs), n_obs) for a in annotations.values()]
    return sum(scores) / len(scores)


def detection_delays(
    annotations: Annotations, alert_times: Iterable[int], n_obs: int
) -> tuple[list[int], int]:
    """Delays from each annotated change to the first alert raised at or after it.

    The true points are the union of the annotators' (index 0 excluded). For a point tau
    the delay is ``t - tau`` for the first alert *time* t (the event at which the alert was
    raised, not where it places the change) with ``tau <= t < `` the next true point or
    ``n_obs``. Returns the delays of the detected points and the number of true points.
    """
    truth = sorted({int(c) for a in annotations.values() for c in a if 0 < int(c) < n_obs})
    alerts = sorted(set(int(t) for t in alert_times))
    delays: list[int] = []
    for i, tau in enumerate(truth):
        end = truth[i + 1] if i + 1 < len(truth) else n_obs
        hit = next((t for t in alerts if tau <= t < end), None)
        if hit is not None:
            delays.append(hit - tau)
    return delays, len(truth)
