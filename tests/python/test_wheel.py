# SPDX-License-Identifier: MIT
"""The wheel installs into a fresh virtual environment and imports there.

Slow (it compiles the extension), so opt-in: set STREAMCP_TEST_WHEEL=1 to build the wheel
from this checkout, or STREAMCP_WHEEL=/path/to/streamcp-*.whl to test a wheel already built.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO_ROOT

SMOKE = """
import pickle, numpy as np, streamcp
det = streamcp.ChangePointDetector(95, 4)
rows = det.update_many([5, 5, 5, 5, 5, 5, 5, 5, 7])
assert rows["is_anomaly"].tolist() == [False] * 8 + [True]
f = pickle.loads(pickle.dumps(streamcp.AnomalyDetectionChangePoint(80, 12, "30m")))
assert f.evaluate("k", "2019-11-18T19:00:00Z", 1.0).included
import importlib.resources as r
files = {p.name for p in r.files("streamcp").iterdir()}
assert "py.typed" in files, files
stubs = {p.name for p in r.files("streamcp").joinpath("_core").iterdir()}
assert {"__init__.pyi", "model.pyi", "function.pyi", "convert.pyi"} <= stubs, stubs
print("ok", streamcp.__version__)
"""


@pytest.mark.skipif(
    not (os.environ.get("STREAMCP_TEST_WHEEL") or os.environ.get("STREAMCP_WHEEL")),
    reason="slow: set STREAMCP_TEST_WHEEL=1 (build) or STREAMCP_WHEEL=<path> to run",
)
def test_wheel_installs_into_a_fresh_venv(tmp_path: Path) -> None:
    wheel = os.environ.get("STREAMCP_WHEEL")
    if not wheel:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(REPO_ROOT)],
            check=True,
        )
        wheel = str(next((tmp_path / "dist").glob("streamcp-*.whl")))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", wheel], check=True)
    out = subprocess.run([str(python), "-c", SMOKE], check=True, capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.startswith("ok ")
