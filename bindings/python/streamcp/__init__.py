# SPDX-License-Identifier: MIT
"""streamcp: Azure Stream Analytics' AnomalyDetection_ChangePoint and SpikeAndDip, exact to
ML.NET, for one series or per partition key.

- :class:`ChangePointDetector`, :class:`SpikeAndDipDetector`: one series (ML.NET semantics).
- :class:`AnomalyDetectionChangePoint`, :class:`AnomalyDetectionSpikeAndDip`: the ASA
  functions (PARTITION BY, LIMIT DURATION, WHEN), per key.
- ``streamcp.pandas.detect``: score a DataFrame (needs pandas).
- :func:`plot`: values, anomalies and scores per key (needs matplotlib: ``streamcp[plot]``).
- :func:`tune`: pick confidence and history from labelled data (``python -m streamcp.tune``).
- :class:`RobustChangePointDetector`: an opt-in detector with better change points, NOT
  ASA-compatible (docs/quality.md).
- :mod:`streamcp.metrics`: TCPDBench's F1 and Cover.

In Python, NaN and None both mean NULL. Every object pickles and deep-copies through the
C++ snapshot format.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _core
from ._detectors import (
    DETECTOR_DTYPE,
    ChangePointDetector,
    ChangePointResult,
    SpikeAndDipDetector,
    SpikeAndDipResult,
)
from ._functions import (
    FUNCTION_DTYPE,
    AnomalyDetectionChangePoint,
    AnomalyDetectionSpikeAndDip,
    BatchError,
    Record,
)
from ._robust import ROBUST_DTYPE, RobustChangePointDetector, RobustChangePointResult
from .plot import plot

__version__: str = _core.__version__

__all__ = [
    "DETECTOR_DTYPE",
    "FUNCTION_DTYPE",
    "AnomalyDetectionChangePoint",
    "AnomalyDetectionSpikeAndDip",
    "BatchError",
    "ChangePointDetector",
    "ChangePointResult",
    "ROBUST_DTYPE",
    "Record",
    "RobustChangePointDetector",
    "RobustChangePointResult",
    "SpikeAndDipDetector",
    "SpikeAndDipResult",
    "__version__",
    "plot",
    "tune",
]


def __getattr__(name: str) -> Any:
    # streamcp.pandas imports pandas, an optional dependency: load it on first use.
    if name == "pandas":
        return importlib.import_module(".pandas", __name__)
    # Loaded on first use, so that `python -m streamcp.tune` does not find its module
    # already imported by the package; binds the function, not the module.
    if name == "tune":
        func = importlib.import_module(".tune", __name__).tune
        globals()["tune"] = func
        return func
    if name == "metrics":
        return importlib.import_module(".metrics", __name__)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*__all__, "metrics", "pandas"])
