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
                # IPython magics (%matplotlib inline) are no Python: the fallback has no IPython.
                source = "".join(line for line in cell["source"] if not line.startswith("%"))
                exec(compile(source, f"{NOTEBOOK.name}[cell {i}]", "exec"), namespace)  # noqa: S102


def test_quickstart_notebook_is_committed_with_its_outputs() -> None:
    # Readers on GitHub see the plots and results without running anything.
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["outputs"] for c in code), "run the notebook and commit it with its outputs"
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    images = [o for c in code for o in c["outputs"] if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # the plot at 80/12 and the plot after the fix
    text = json.dumps(cells)
    assert "alert threshold" in text and "streamcp.tune(" in text
