"""The data-quality page's list of imports writes its counts in the page's language: 万 in
Chinese, k in English (``dashboard.formats.count``), small counts exact in both."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from dashboard import formats
from layouts import quality


def texts(component) -> list[str]:
    """Every string in a Dash component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [s for c in component for s in texts(c)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


@pytest.mark.parametrize("lang, big", [("zh", "2.03万"), ("en", "20.3k")])
def test_counts_follow_the_language(lang, big):
    files = pd.DataFrame([{
        "source_file": "cases.csv", "kind": "incidents",
        "started_at": pd.Timestamp("2026-12-01 08:00"), "rows_in": 20_300, "loaded": 20_100,
        "quarantined": 150, "outside_grid": 50, "placeholder_rows": 0, "no_deadline": 7,
        "tz_assumed": "Asia/Shanghai", "tz_naive_values": None, "tz_offset_values": None}])
    shown = texts(quality.imports_list(SimpleNamespace(files=files), lang))
    assert formats.count(20_300, lang) == big
    assert big in shown
    assert formats.count(20_100, lang) in shown
    for exact in ("150", "50", "7"):
        assert exact in shown
