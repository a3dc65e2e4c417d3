# SPDX-License-Identifier: MIT
# Type stubs of the private extension streamcp._core (bindings/python/*.cpp), one file per
# submodule; CI checks them against the built extension with mypy's stubtest.
# streamcp._core.function: the ASA functions, per partition key.
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _BoundClassType

from .model import RobustChangePointDetector

FUNCTION_DTYPE: np.dtype[np.void]

# None, or a 1-d array of integers, floats (integral or NaN) or objects (str / int / None).
_Keys = None | NDArray[Any]

class _Batch(metaclass=_BoundClassType):
    def evaluate_many(
        self,
        keys: _Keys,
        times_ticks: NDArray[np.int64],
        values: NDArray[np.float64],
        when: NDArray[np.bool_] | None = None,
        p_values: NDArray[np.float64] | None = None,
    ) -> NDArray[np.void]: ...
    def snapshot(self) -> bytes: ...
    def restore(self, data: bytes) -> None: ...
    @property
    def partition_count(self) -> int: ...

class _Function(_Batch):
    def evaluate(
        self, key: str | int | None, time_ticks: int, value: float | None, when: bool = True
    ) -> tuple[float, bool, bool]: ...
    def evict_idle(self, now_ticks: int, max_idle_ns: int) -> int: ...
    @property
    def confidence(self) -> float: ...
    @property
    def history(self) -> int: ...
    @property
    def duration_ns(self) -> int: ...
    @property
    def fractional_confidence(self) -> bool: ...
    @property
    def idle_ttl_ns(self) -> int: ...
    @property
    def kernel(self) -> str: ...
    @property
    def threshold(self) -> float: ...

class AnomalyDetectionChangePoint(_Function):
    def __init__(
        self,
        confidence: float,
        history: int,
        duration_ns: int,
        fractional_confidence: bool = False,
        idle_ttl_ns: int = 0,
        kernel: str = "exact",
    ) -> None: ...

class AnomalyDetectionSpikeAndDip(_Function):
    def __init__(
        self,
        confidence: float,
        history: int,
        mode: str,
        duration_ns: int,
        fractional_confidence: bool = False,
        idle_ttl_ns: int = 0,
        kernel: str = "exact",
    ) -> None: ...
    @property
    def mode(self) -> str: ...

class RobustChangePoint(_Batch):
    def __init__(self, model: RobustChangePointDetector, duration_ns: int) -> None: ...
