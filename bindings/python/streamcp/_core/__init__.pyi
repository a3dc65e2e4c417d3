# SPDX-License-Identifier: MIT
# Type stubs of the private extension streamcp._core (bindings/python/*.cpp), one file per
# submodule; CI checks them against the built extension with mypy's stubtest.
from . import convert as convert
from . import function as function
from . import model as model
from . import order as order

__version__: str

class BatchError(ValueError):
    """A batch call's refusal of one event, with its position."""

    index: int
    field: str  # "timestamps" or "values"
    key: str | int | None
    reason: str

class _BoundClassType(type):
    """pybind11's metaclass of every bound class (pybind11_builtins.pybind11_type)."""
