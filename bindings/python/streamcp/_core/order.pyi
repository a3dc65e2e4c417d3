# SPDX-License-Identifier: MIT
# Type stubs of the private extension streamcp._core (bindings/python/*.cpp), one file per
# submodule; CI checks them against the built extension with mypy's stubtest.
# streamcp._core.order: the CLI's per-key ordering stage over event indices.
import numpy as np
from numpy.typing import NDArray

def order_keys(
    segments: NDArray[np.int64], times_ns: NDArray[np.int64], tolerance_ns: int, drop: bool
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64], NDArray[np.bool_]]: ...
def order_key(
    held_times: NDArray[np.int64],
    new_times: NDArray[np.int64],
    latest: int | None,
    tolerance_ns: int,
    drop: bool,
    flush: bool,
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], int | None]: ...
