# SPDX-License-Identifier: MIT
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="session")
def mlnet_sets() -> list[dict[str, Any]]:
    with (DATA_DIR / "mlnet_vectors.json").open(encoding="utf-8") as f:
        return json.load(f)["sets"]
