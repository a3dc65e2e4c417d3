# SPDX-License-Identifier: MIT
"""The one grammar's shared table (tests/data/time_text_cases.json), also read by the CLI's test
(tests/pipeline/time_text_table_test.cpp): Python accepts and refuses exactly the same strings,
as scalars, lists and pandas string columns (docs/semantics.md#text-durations, #text-timestamps).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from streamcp._convert import to_duration_ns, to_time_ticks, to_times_ticks

_TABLE = json.loads((Path(__file__).parents[1] / "data" / "time_text_cases.json").read_text("utf-8"))


def _cases(kind: str, part: str) -> list[tuple[str, object]]:
    return [(text, expected) for text, expected in _TABLE[kind][part]]


@pytest.mark.parametrize(("text", "ns"), _cases("durations", "accept"))
def test_duration_accepted(text: str, ns: int) -> None:
    assert to_duration_ns(text, allow_zero=True) == ns


@pytest.mark.parametrize(("text", "why"), _cases("durations", "refuse"))
def test_duration_refused_with_its_reason(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        to_duration_ns(text, "duration")


@pytest.mark.parametrize(("text", "ticks"), _cases("timestamps", "accept"))
def test_timestamp_accepted_in_every_form(text: str, ticks: int) -> None:
    assert to_time_ticks(text) == ticks
    for form in ([text], np.array([text]), pd.Series([text]), pd.Series([text], dtype="string")):
        np.testing.assert_array_equal(to_times_ticks(form), np.array([ticks], dtype=np.int64))


@pytest.mark.parametrize(("text", "why"), _cases("timestamps", "refuse"))
def test_timestamp_refused_with_its_reason_in_every_form(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        to_time_ticks(text)
    for form in (["2019-11-18T19:00:00Z", text], pd.Series(["2019-11-18T19:00:00Z", text])):
        with pytest.raises(ValueError, match=r"timestamps\[1\] = .*" + re.escape(why)):
            to_times_ticks(form)
