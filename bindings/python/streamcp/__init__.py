# SPDX-License-Identifier: MIT
"""streamcp: Azure Stream Analytics' AnomalyDetection_ChangePoint and SpikeAndDip, exact to
ML.NET, for one series or per partition key.

- :class:`ChangePointDetector`, :class:`SpikeAndDipDetector`: one series (ML.NET semantics).
- :class:`AnomalyDetectionChangePoint`, :class:`AnomalyDetectionSpikeAndDip`: the ASA
  functions (PARTITION BY, LIMIT DURATION, WHEN), per key.
- ``streamcp.pandas.detect``: score a DataFrame (needs pandas).
- :func:`plot`: values, anomalies and scores per key (needs matplotlib: ``streamcp[plot]``).

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
    Record,
)
from .plot import plot

__version__: str = _core.__version__

__all__ = [
    "DETECTOR_DTYPE",
    "FUNCTION_DTYPE",
    "AnomalyDetectionChangePoint",
    "AnomalyDetectionSpikeAndDip",
    "ChangePointDetector",
    "ChangePointResult",
    "Record",
    "SpikeAndDipDetector",
    "SpikeAndDipResult",
    "__version__",
    "plot",
]


def __getattr__(name: str) -> Any:
    # streamcp.pandas imports pandas, an optional dependency: load it on first use.
    if name == "pandas":
        return importlib.import_module(".pandas", __name__)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*__all__, "pandas"])
