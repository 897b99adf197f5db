"""The case export's CSV, built column by column and streamed in pieces
(``dashboard.exports.csv_pieces``): byte for byte what the cell-by-cell writer made
(``_value`` of every cell of ``to_dict`` records, ``csv.writer`` over ``safe_row``), on the
demo's cases and on a frame of awkward values (formula-like and control-character text,
missing values of every kind, floats that round half-way, a piece boundary)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard import cases_data, exports, levels
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from dashboard.sheets import safe_row


def _cell_by_cell(frame: pd.DataFrame, lv: levels.Levels) -> bytes:
    """The former writer: every cell through ``_value`` and ``safe_cell`` one by one."""
    columns = [(c, lv.name(c) or label if c in ("town", "village") else label)
               for c, label in exports.COLUMNS if c not in lv.hidden_levels]
    rows = [[label for _, label in columns]]
    rows += [[exports._value(r[c]) for c, _ in columns] for r in frame.to_dict("records")]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(safe_row(r) for r in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _streamed(frame: pd.DataFrame, lv: levels.Levels) -> bytes:
    return b"".join(exports.csv_pieces(frame, lv))


def test_the_demo_s_export_is_the_same_bytes(demo, now, monkeypatch):
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 997)  # several pieces, a ragged last one
    filters = Filters.from_query(f"?period=custom&from={(now - timedelta(days=400)).date()}"
                                 f"&to={now.date()}")
    frame = cases_data.export(demo, Scope("3206", "leader"), filters, now)
    assert len(frame) > 3 * 997
    lv = levels.of(demo)
    got = _streamed(frame, lv)
    assert got == _cell_by_cell(frame, lv)
    # and the file reads back as the frame's rows
    back = pd.read_csv(io.BytesIO(got), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(back) == len(frame) and list(back["案件编号"]) == list(frame["case_no"])


def test_awkward_values_are_the_same_bytes(monkeypatch):
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 3)
    texts = ["=HYPERLINK(\"http://evil.example\",\"x\")", " +1", "\u3000@cmd", "-5", "＝SUM(A1)",
             "ok\x01ctrl", "\tTAB", "plain", "line\nbreak", "a,b\"c", None, "中文"]
    n = len(texts)
    at = pd.Series(pd.to_datetime(["2026-01-02 03:04:05.678"] * n))
    at[3] = pd.NaT
    hours = [2.675, 1.005, float("nan"), -0.125, 3.0, 1e-9, 12.345, 0.5, 99.999, 2.5, 7.0,
             float("inf")]
    frame = pd.DataFrame({
        "case_no": texts, "reported_at": at, "major": texts[::-1], "category": ["c"] * n,
        "source": [None] * n, "status": texts, "town": texts, "village": ["v"] * n,
        "grid": ["g"] * n, "grid_code": ["320612001001001"] * n, "tier": ["town"] * n,
        "department": texts, "deadline_at": at[::-1].reset_index(drop=True),
        "closed_at": pd.Series([pd.NaT] * n, dtype="datetime64[us]"), "handle_hours": hours,
        "overdue": [True, False, None] * (n // 3), "rework_count": np.arange(n),
    })
    lv = levels.NATIONAL
    assert _streamed(frame, lv) == _cell_by_cell(frame, lv)
    # typed columns without gaps take the column-wise paths
    plain = frame.assign(overdue=[True, False] * (n // 2),
                         rework_count=pd.array(range(n), dtype="Int64"))
    assert _streamed(plain, lv) == _cell_by_cell(plain, lv)
    assert _streamed(plain.iloc[0:0], lv) == _cell_by_cell(plain.iloc[0:0], lv)
    # one decision of which columns may hold text: times, flags and numbers do not (a flag
    # column with a gap is an object column, checked cell by cell like text)
    typed = {"reported_at", "deadline_at", "closed_at", "handle_hours", "rework_count"}
    for f, flags in ((frame, typed), (plain, typed | {"overdue"})):
        names, _, _, text = exports.columns_of(f, lv)
        assert dict(zip(names, text, strict=True)) == {c: c not in flags for c in names}


@pytest.mark.parametrize("value", ["=1+1", "@x", " -2", "\u3000＋3", "a\x7fb"])
def test_every_formula_like_or_control_text_is_neutralised(value):
    frame = pd.DataFrame({c: [value] for c, _ in exports.COLUMNS})
    for column in ("reported_at", "deadline_at", "closed_at"):
        frame[column] = pd.Series([datetime(2026, 1, 1)], dtype="datetime64[us]")
    frame["handle_hours"] = [1.0]
    frame["overdue"] = [False]
    frame["rework_count"] = [0]
    body = _streamed(frame, levels.NATIONAL).decode("utf-8-sig")
    row = next(csv.reader(io.StringIO(body.splitlines()[1] + "\n")))
    for cell in row:
        if cell and cell[0] not in "2是01":
            assert cell.startswith("'") or "\ufffd" in cell, row
