# SPDX-License-Identifier: MIT
"""``update_many(..., as_frame=True)``: a detector's structured result as a pandas DataFrame."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

__all__ = ["frame_columns", "require_pandas", "to_frame"]

#: Structured-array fields and the DataFrame columns they become, named as
#: ``streamcp.pandas.detect`` names its outputs (Score, IsAnomaly, then the extras).
_COLUMNS = (
    ("score", "Score"),
    ("is_anomaly", "IsAnomaly"),
    ("is_change", "IsAnomaly"),
    ("p_value", "PValue"),
    ("onset_lag", "OnsetLag"),
)


def frame_columns(dtype: np.dtype) -> list[tuple[str, str]]:
    """(field, column) for each field of ``dtype``, in the columns' order."""
    names = dtype.names or ()
    return [(field, column) for field, column in _COLUMNS if field in names]


def require_pandas() -> Any:
    """The pandas module, or ImportError saying what needs it; checked before any scoring."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        msg = "update_many(..., as_frame=True) needs pandas: pip install pandas (or streamcp[pandas])"
        raise ImportError(msg) from None


def to_frame(pd: Any, rows: np.ndarray, values: object) -> Any:
    """``rows`` as a DataFrame, indexed like ``values`` when it is a Series (else 0..n-1)."""
    index = values.index if isinstance(values, pd.Series) else None
    return pd.DataFrame({column: rows[field] for field, column in frame_columns(rows.dtype)}, index=index)
