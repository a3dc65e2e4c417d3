# SPDX-License-Identifier: MIT
# Type stubs of the private extension streamcp._core (bindings/python/*.cpp), one file per
# submodule; CI checks them against the built extension with mypy's stubtest.
from . import convert as convert
from . import function as function
from . import model as model

__version__: str
