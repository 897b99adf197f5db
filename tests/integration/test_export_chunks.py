"""A case export is made from DuckDB a chunk at a time (``queries.chunks``,
``cases_data.export_chunks``) into a spooled file, then audited, then sent: over many
chunks it is the same file, byte for byte, as the one-frame writer over the whole
filtered set; the audit row holds the ids in the order sent; an XLSX that outgrows a sheet
is refused 413 with nothing audited; and a chunked read equals the whole frame."""

from __future__ import annotations

import io
import itertools
from datetime import datetime

import pandas as pd
import pytest
from auth_helpers import CITY_LEADER
from openpyxl import load_workbook

import queries
from dashboard import cases_data, exports, levels
from dashboard.callbacks.common import analysis_now
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from queries import names as Q

SEARCH = "?period=custom&from=2025-01-01&to=2026-12-31"
CITY = Scope("3206", "leader")


def _whole(demo, search: str) -> tuple[pd.DataFrame, bytes]:
    """The export's rows as one frame and the file the one-frame writer makes of them."""
    with queries.reading(None, None):
        moment = analysis_now(demo)
    frame = cases_data.export(demo, CITY, Filters.from_query(search), moment)
    return frame, b"".join(exports.csv_pieces(frame, levels.of(demo)))


def test_many_chunks_make_the_same_file_and_audit_the_ids_in_order(client, demo,
                                                                  auth_store, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_ROWS", 2048)  # one vector a chunk
    monkeypatch.setattr(cases_data, "EXPORT_SLICE_ROWS", 300)  # the CSV in many slices
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 1000)  # pieces inside a chunk too
    response = client.get("/export/cases.csv" + SEARCH)
    assert response.status_code == 200
    frame, want = _whole(demo, SEARCH)
    assert len(frame) > 3 * 2048  # several chunks, a ragged last one
    assert response.data == want
    assert int(response.headers["X-Row-Count"]) == len(frame)
    entry = auth_store.audit_rows(limit=1, username=CITY_LEADER[0])[0]
    assert entry["action"] == "export" and entry["ids"] == [int(i) for i in frame["id"]]
    # the XLSX holds the same rows in the same order
    book = load_workbook(io.BytesIO(client.get("/export/cases.xlsx" + SEARCH).data),
                         read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "案件编号" and [r[0] for r in rows[1:]] == list(frame["case_no"])


def test_an_xlsx_over_a_sheet_is_refused_and_not_audited(client, auth_store, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_ROWS", 2048)
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 5000)  # told by the first chunk's total
    before = len(auth_store.audit_rows(limit=10_000))
    response = client.get("/export/cases.xlsx" + SEARCH)
    assert response.status_code == 413 and response.is_json
    assert "rows do not fit in one sheet" in response.get_json()["error"]
    assert len(auth_store.audit_rows(limit=10_000)) == before
    # a CSV of the same set is made
    assert client.get("/export/cases.csv" + SEARCH).status_code == 200


@pytest.mark.parametrize("rows", [1, 250, 5000, 10**9])
def test_the_export_s_slices_cover_its_period_in_whole_days(demo, rows):
    filters = Filters.from_query(SEARCH)
    now = datetime(2026, 12, 31)
    spans = cases_data.export_slices(demo, CITY, filters, now, rows=rows)
    params = filters.params(CITY, now.date())
    assert spans[0][0] == params["start"] and spans[-1][1] == params["end"]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # contiguous
    assert all(s < e for s, e in spans)
    assert all(s.time() == datetime.min.time() for s, _ in spans)  # whole days
    days = queries.run(demo, Q.CASES_EXPORT_DAYS, **params)
    per_day = dict(zip(pd.to_datetime(days["day"]), days["cases"], strict=True))
    for s, e in spans:  # over the cap only where one day alone is
        held = [n for d, n in per_day.items() if s <= d < e]
        assert sum(held) <= rows or len(held) == 1, (s, e, held)
    if rows == 10**9:
        assert len(spans) == 1
    assert sum(days["cases"]) == len(cases_data.export(demo, CITY, filters, now))


def test_an_empty_export_is_the_header_alone(client, demo):
    search = "?period=custom&from=2001-01-01&to=2001-01-31"
    response = client.get("/export/cases.csv" + search)
    assert response.status_code == 200 and response.headers["X-Row-Count"] == "0"
    assert response.data == _whole(demo, search)[1]
    assert response.data.decode("utf-8").count("\n") == 1


def test_chunks_equal_the_whole_frame(demo):
    params = dict(Filters.from_query(SEARCH).params(CITY, datetime(2026, 12, 31).date()),
                  now=datetime(2026, 12, 31), sort="reported_at", desc=False, limit=None,
                  offset=0)
    whole = queries.run(demo, Q.CASES_PAGE, **params)
    parts = list(queries.chunks(demo, Q.CASES_PAGE, rows=3000, **params))
    assert len(parts) >= 3 and all(len(p) == 4096 for p in parts[:-1])  # whole vectors
    got = pd.concat(parts, ignore_index=True)
    assert list(got.columns) == list(whole.columns) and len(got) == len(whole)
    for column in whole.columns:  # the same cells (text may be object, not string dtype)
        assert got[column].astype(object).where(got[column].notna(), None).tolist() == \
            whole[column].astype(object).where(whole[column].notna(), None).tolist(), column
    empty = list(queries.chunks(demo, Q.CASES_PAGE, rows=10,
                                **{**params, "start": datetime(2001, 1, 1),
                                   "end": datetime(2001, 1, 2)}))
    assert len(empty) == 1 and empty[0].empty and list(empty[0].columns) == list(whole.columns)
    with pytest.raises(TypeError, match="takes"):
        next(queries.chunks(demo, Q.CASES_PAGE, rows=10, prefix="3206"))
