# SPDX-License-Identifier: MIT
"""examples/python/quickstart.ipynb runs without an error in any cell.

With nbclient and ipykernel installed (the ``test`` extra) the notebook runs in a real
kernel; otherwise its code cells run in order with ``exec`` in one namespace.
"""

from __future__ import annotations

import importlib.util
import json
import os
import warnings

from conftest import REPO_ROOT

NOTEBOOK = REPO_ROOT / "examples" / "python" / "quickstart.ipynb"


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def test_quickstart_notebook_runs(tmp_path) -> None:
    if _have("nbclient") and _have("nbformat") and _have("ipykernel"):
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.read(NOTEBOOK, as_version=4)
        env_backend = os.environ.get("MPLBACKEND")
        os.environ["MPLBACKEND"] = "Agg"
        try:
            with warnings.catch_warnings():
                # jupyter_client and friends warn about their own deprecations; the notebook's
                # cells are what is under test (a failing cell raises CellExecutionError).
                warnings.simplefilter("ignore")
                NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
        finally:
            if env_backend is None:
                os.environ.pop("MPLBACKEND", None)
            else:
                os.environ["MPLBACKEND"] = env_backend
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors
    else:
        import matplotlib

        matplotlib.use("Agg")
        cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
        namespace: dict[str, object] = {"__name__": "__main__"}
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                exec(compile(source, f"{NOTEBOOK.name}[cell {i}]", "exec"), namespace)  # noqa: S102
