# SPDX-License-Identifier: MIT
"""NAB-format data (``DIR/data/<category>/<file>.csv`` + ``DIR/combined_windows.json``) and its
scoring through NAB's scorer (``nab_score.py``, found beside the data as ``DIR/../../tools`` or
given), for binary alerts: each detection is one row index, no threshold sweep.

The scorer's own rules are used as they are (imported, not copied): its per-file scores make
leave-one-category-out cross-validation possible without re-running it per subset.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


@dataclass
class NabSeries:
    rel: str  # "<category>/<file>.csv", the key NAB's files use
    values: np.ndarray

    @property
    def category(self) -> str:
        return self.rel.split("/", 1)[0]


def find_scorer(directory: Path, scorer: Path | None = None) -> Path | None:
    """The scorer script: `scorer` when given, else ``DIR/../../tools/nab_score.py``."""
    candidate = scorer or directory.resolve().parent.parent / "tools" / "nab_score.py"
    return candidate if candidate.is_file() else None


def load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("nab_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_series(directory: Path) -> list[NabSeries]:
    """Every labelled file, in the labels' (sorted) order."""
    labels = json.loads((directory / "combined_windows.json").read_text())
    out = []
    for rel in sorted(labels):
        with open(directory / "data" / rel, newline="") as f:
            rows = list(csv.reader(f))[1:]
        out.append(NabSeries(rel, np.array([float(r[1]) for r in rows if r], dtype=np.float64)))
    return out


class NabScorer:
    """Per-file raw scores of binary detections under NAB's three profiles."""

    def __init__(self, directory: Path, scorer: Path):
        self.module = load_scorer(scorer)
        self.corpus = self.module.Corpus(str(directory / "data"), str(directory / "combined_windows.json"))
        self.profiles = self.module.DEFAULT_PROFILES

    def file_scores(self, rel: str, detections: Sequence[int]) -> dict[str, float]:
        df = self.corpus.files[rel]
        scores = np.zeros(df.n)
        scores[np.asarray(list(detections), dtype=np.int64)] = 1.0
        return {p: self.module.score_file(df, scores, 1.0, self.profiles[p])["score"] for p in PROFILES}

    def windows(self, rel: str) -> int:
        return len(self.corpus.files[rel].scorable_windows)

    def normalised(self, raw: Mapping[str, Mapping[str, float]], rels: Sequence[str] | None = None) -> dict[str, float]:
        """NAB's normalised score per profile over `rels` (all files by default):
        100 (S - S_null) / (S_perfect - S_null)."""
        rels = list(raw) if rels is None else list(rels)
        n_windows = sum(self.windows(r) for r in rels)
        out = {}
        for p in PROFILES:
            prof = self.profiles[p]
            s = sum(raw[r][p] for r in rels)
            s_null = -prof["fnWeight"] * n_windows
            s_perfect = prof["tpWeight"] * n_windows
            out[p] = 100.0 * (s - s_null) / (s_perfect - s_null) if n_windows else float("nan")
        return out
