"""The CSV export's lines made by DuckDB (``queries/cases/csv_lines.sql``, behind
``/export/cases.csv``) are the bytes Python's writer makes (``dashboard.exports.csv_pieces``,
itself checked cell by cell in ``test_exports.py``): on rows of awkward text (formula-like,
control characters, quotes, commas, line breaks, the block's own separator U+E000,
missing values of every kind), with and without the town and village columns, and on
handle hours across their whole range, where the SQL must round a double to two decimals
exactly as Python's ``round`` does (half to even on the exact binary value) and write it
as ``repr`` does."""

from __future__ import annotations

import random
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

import queries
from dashboard import exports, levels
from queries import names as Q

AWKWARD = ["=HYPERLINK(\"http://evil.example\",\"x\")", " +1", "\u3000@cmd", "-5", "＝SUM(A1)",
           "ok\x01ctrl", "\tTAB", "plain", "line\nbreak", "a,b\"c", None, "中文", "",
           "\n=after a line feed", "  \u3000 ＠x", "mid-dle + not first", "cr\rhere",
           "sep\ue000inside", "\ue000", "unit\x1fsep", "del\x7f", "\x00nul", "'quoted'",
           "\"", ",", " ", "\u3000", "@", "x\u3000=y", "tab\tinside", "\r"]


def _frame(n: int, hours=None) -> pd.DataFrame:
    """A frame shaped as ``cases/page``'s result with awkward values in every text cell."""
    texts = [AWKWARD[i % len(AWKWARD)] for i in range(n)]
    at = pd.Series(pd.to_datetime(["2026-01-02 03:04:05.678"] * n)).astype("datetime64[us]")
    at[::4] = pd.NaT
    return pd.DataFrame({
        "id": np.arange(n, dtype=np.int64) * 7 + 3, "total": np.full(n, n, dtype=np.int64),
        "case_no": texts, "reported_at": at, "major": texts[::-1],
        "category": texts[3:] + texts[:3],
        "source": [None] * n, "status": texts[5:] + texts[:5], "town": texts[1:] + texts[:1],
        "village": texts[2:] + texts[:2], "grid": ["（未落到网格）"] * n,
        "grid_code": texts[7:] + texts[:7], "tier": ["town"] * n,
        "department": texts[11:] + texts[:11], "deadline_at": at[::-1].reset_index(drop=True),
        "closed_at": pd.Series([pd.NaT] * n, dtype="datetime64[us]"),
        "handle_hours": [1.5] * n if hours is None else hours,
        "overdue": [True, False, None] * (n // 3) + [True] * (n % 3),
        "rework_count": np.arange(n, dtype=np.int32) % 4,
    })


def _lines(frame: pd.DataFrame, town: bool = True, village: bool = True) -> bytes:
    """The block's lines over ``frame``, in order (the ids too, checked)."""
    con = duckdb.connect()
    con.register("frame", frame)
    text = "WITH p AS (SELECT * FROM frame),\n" + queries.sql(Q.CASES_CSV_LINES)
    out = con.execute(text, {"town": town, "village": village}).fetchall()
    assert [r[0] for r in out] == frame["id"].tolist()
    assert all(r[1] == len(frame) for r in out)
    return "".join(r[2] for r in out).encode("utf-8")


def _python(frame: pd.DataFrame, lv: levels.Levels) -> bytes:
    """Python's writer over the same rows, without its header line."""
    body = b"".join(exports.csv_pieces(frame, lv))
    return body[body.index(b"\r\n") + 2:]


@pytest.mark.parametrize("hidden", [frozenset(), frozenset({12}), frozenset({9, 12})])
def test_awkward_rows_make_the_same_bytes(hidden):
    frame = _frame(3 * len(AWKWARD) + 1)
    lv = levels.Levels(hidden=hidden)
    names, _ = exports.header_of(lv)
    got = _lines(frame, town="town" in names, village="village" in names)
    assert got == _python(frame, lv)
    assert got.count(b"\r\n") >= len(frame)  # a quoted cell may hold line breaks too
    assert b"'=HYPERLINK" in got and "\ufffd".encode() in got  # neutralised, replaced


def test_the_block_s_separator_inside_a_cell_stays_in_it():
    # U+E000 joins a row's cells before the one check; a cell holding it must not split
    frame = _frame(4)
    for column in ("case_no", "major", "category", "status", "town", "village", "grid_code",
                   "department"):
        frame[column] = "x"
    frame["reported_at"] = frame["deadline_at"] = pd.Timestamp("2026-01-02")
    frame.loc[1, "major"] = "a\ue000b"
    frame.loc[2, "town"] = "\ue000\ue000"
    got = _lines(frame)
    assert got == _python(frame, levels.NATIONAL)
    assert [line.count(",") for line in got.decode().split("\r\n")[:-1]] == [16] * 4


def test_an_empty_result_makes_no_line():
    empty = _frame(3).iloc[0:0]
    empty = empty.astype({c: "string" for c in empty if empty[c].dtype == object})
    assert _lines(empty) == b"" == _python(empty, levels.NATIONAL)


def _hours_cases() -> list[float]:
    """Handle hours over their whole range: seconds and milliseconds over 3,600 (how the
    store makes them), exact ties and near ties at the second decimal, negatives, long
    durations and random doubles of every magnitude."""
    rng = random.Random(20261207)
    values = [k / 3600 for k in range(-7200, 400_000, 13)]
    values += [k / 3_600_000 for k in rng.sample(range(-10**9, 10**10), 20_000)]
    values += [k / 8 + s for k in range(-400, 400) for s in (0.0, 1e-13, -1e-13)]
    values += [i / 1000 for i in range(-3000, 30_000)]  # 2.675, 1.005 and every x.xx5
    values += [rng.uniform(-1, 1) * 10 ** rng.uniform(-6, 12) for _ in range(30_000)]
    values += [0.0, -0.0, 0.004999999999999999, 0.005, -0.005, 0.015, 0.025, 1e12 + 0.125,
               123456789.125, 99.995, 99.99499999999999, 2.5e12 + 0.005, 1e-300, -1e-300]
    return values


def test_hours_are_written_as_python_rounds_and_writes_them():
    hours = _hours_cases()
    frame = _frame(len(hours), hours=hours)
    frame["handle_hours"] = frame["handle_hours"].astype("float64")
    for column in ("case_no", "major", "category", "status", "town", "village", "grid_code",
                   "department"):
        frame[column] = "x"  # plain cells: the hours are the third cell from the end
    got = _lines(frame).decode("utf-8").split("\r\n")[:-1]
    want = ["" if v != v else repr(round(v, 2)) for v in hours]
    written = [line.split(",")[-3] for line in got]
    wrong = [(h, w, g) for h, w, g in zip(hours, want, written, strict=True) if w != g]
    assert not wrong, wrong[:10]
    # and the whole lines are Python's writer's
    assert "\r\n".join(got).encode() + b"\r\n" == _python(frame, levels.NATIONAL)


def test_missing_hours_are_empty_cells():
    frame = _frame(4, hours=[None, float("nan"), 2.0, None])
    got = _lines(frame).decode("utf-8").split("\r\n")[:-1]
    assert [line.split(",")[-3] for line in got] == ["", "", "2.0", ""]
    assert _lines(frame) == _python(frame, levels.NATIONAL)


def test_the_times_are_written_to_the_second():
    frame = _frame(3)
    frame["closed_at"] = pd.Series([datetime(2026, 12, 7, 9, 5, 1, 999_999), pd.NaT,
                                    datetime(1999, 1, 2)], dtype="datetime64[us]")
    assert _lines(frame) == _python(frame, levels.NATIONAL)
