"""The workbench over HTTP: cross-filter clicks, table pages, the case panel, exports."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs

import pytest
from auth_helpers import (
    CITY_LEADER,
    callback_request,
    filter_state_request,
    login_client,
    post_callback,
)
from openpyxl import load_workbook

from dashboard import create_app, ids
from dashboard.clock import now_in
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope


def _count(demo, filters: Filters, prefix: str = "3206") -> int:
    params = filters.params(Scope(prefix, "leader"), now_in().date())
    return demo.execute(
        """SELECT count(*) FROM incidents i JOIN categories c ON c.code = i.category_code
           WHERE i.grid_code LIKE ? || '%' AND i.reported_at >= ? AND i.reported_at < ?
             AND (? IS NULL OR list_contains(?, c.major_code))
             AND (? IS NULL OR list_contains(?, i.source))""",
        [params["prefix"], params["start"], params["end"], params["majors"], params["majors"],
         params["sources"], params["sources"]]).fetchone()[0]


def _post(client, app, output_id, inputs, state=(), changed=()):
    return post_callback(client, callback_request(app, output_id, inputs, state, changed))


def _filter_state(client, app, search, chart=None, page="cases"):
    """POST the filter callback as the browser does after a click on a chart bar."""
    return post_callback(client, filter_state_request(app, page, search, chart=chart))


def _chips(client, app, search, page="cases"):
    inputs = [{"id": ids.FILTER_URL, "property": "search", "value": search}]
    state = [{"id": ids.FILTER_PAGE_STORE, "property": "data", "value": page}]
    return _post(client, app, ids.FILTER_CHIPS_DIV, inputs, state)


def _table(client, app, search, page=0):
    inputs = [
        {"id": ids.FILTER_URL, "property": "search", "value": search},
        {"id": ids.CASES_TABLE, "property": "page_current", "value": page},
        {"id": ids.CASES_TABLE, "property": "sort_by",
         "value": [{"column_id": "reported_at", "direction": "desc"}]},
    ]
    state = [{"id": ids.CASES_TABLE, "property": "page_size", "value": 10}]
    return _post(client, app, ids.CASES_TABLE + ".data", inputs, state)


def _summary(client, app, search):
    inputs = [{"id": ids.FILTER_URL, "property": "search", "value": search}]
    return _post(client, app, ids.CASES_TOTAL_TEXT, inputs)


def test_a_cross_filter_click_changes_the_table_to_the_right_count(client, app, demo):
    search = "?period=year&source=12345热线"
    before = _table(client, app, search).get_json()["response"]
    pages_before = before[ids.CASES_TABLE]["page_count"]
    assert pages_before == -(-_count(demo, Filters.from_query(search)) // 10)

    response = _filter_state(client, app, search, chart=("major", "S01"))
    assert response.status_code == 200, response.data[:300]
    new_search = response.get_json()["response"][ids.FILTER_URL]["search"]
    args = parse_qs(new_search.lstrip("?"))
    assert args["major"] == ["S01"] and args["source"] == ["12345热线"]
    expected = _count(demo, Filters.from_query(new_search))
    assert 0 < expected < _count(demo, Filters.from_query(search))

    table = _table(client, app, new_search).get_json()["response"][ids.CASES_TABLE]
    assert table["page_count"] == -(-expected // 10)
    assert table["page_current"] == 0
    assert all(row["category"] for row in table["data"])
    summary = _summary(client, app, new_search).get_json()["response"]
    assert f"{expected:,}" in summary[ids.CASES_TOTAL_TEXT]["children"]
    chips = _chips(client, app, new_search).get_json()["response"][ids.FILTER_CHIPS_DIV][
        "children"]
    assert {c["props"]["id"]["value"] for c in chips} == {"S01", "12345热线"}
    # The export links carry the same filters.
    href = summary[ids.CASES_EXPORT_CSV_LINK]["href"]
    assert Filters.from_query(href.split("?", 1)[1]) == Filters.from_query(new_search)


@pytest.mark.parametrize("search, status", [
    ("?period=forever", 400), ("?region=3206%25", 400), ("?region=320700000000", 403),
    ("?grid=320700000000001", 403)])
def test_bad_or_foreign_filters_are_refused(client, app, search, status):
    for response in (_table(client, app, search), _summary(client, app, search)):
        assert response.status_code == status
        assert b"response" not in response.data


def test_export_is_exactly_the_filtered_set(client, demo, auth_store):
    search = "?period=30d&region=320612&major=S01,S04"
    response = client.get("/export/cases.csv" + search)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff案件编号,上报时间")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    filters = Filters.from_query(search)
    params = filters.params(Scope("3206", "leader"), now_in().date())
    want = demo.execute(
        """SELECT case_no FROM incidents i JOIN categories c ON c.code = i.category_code
           WHERE i.grid_code LIKE '320612%' AND i.reported_at >= ? AND i.reported_at < ?
             AND c.major_code IN ('S01', 'S04')""", [params["start"], params["end"]]).fetchall()
    assert sorted(r[0] for r in rows) == sorted(w[0] for w in want)
    assert int(response.headers["X-Row-Count"]) == len(want)
    # The export left an audit row naming who, the scope and exactly the ids returned.
    entry = auth_store.audit_rows(limit=1, username=CITY_LEADER[0])[0]
    assert entry["action"] == "export" and entry["what"].startswith("cases csv")
    assert entry["scope"] == "320612"
    ids_sent = set(entry["ids"])
    case_ids = demo.execute("SELECT id FROM incidents WHERE list_contains(?, case_no)",
                            [[w[0] for w in want]]).fetchall()
    assert ids_sent == {c[0] for c in case_ids}

    book = load_workbook(io.BytesIO(client.get("/export/cases.xlsx" + search).data),
                         read_only=True)
    sheet = book.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "案件编号"
    assert sorted(v[0] for v in values[1:]) == sorted(w[0] for w in want)


@pytest.mark.parametrize("path, status", [
    ("/export/cases.pdf", 404), ("/export/cases.csv?period=forever", 400),
    ("/export/cases.csv?region=320700000000", 403)])
def test_bad_exports_are_refused(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.is_json and "error" in response.get_json()


def test_the_case_panel_never_shows_a_case_outside_the_jurisdiction(county_client, app,
                                                                    demo):
    client = county_client  # the demo county analyst of 通州区 (320612)
    case_id = demo.execute("SELECT min(id) FROM incidents WHERE grid_code LIKE '320613%'"
                           ).fetchone()[0]
    inputs = [{"id": ids.CASES_TABLE, "property": "active_cell",
               "value": {"row": 0, "column": 0, "column_id": "case_no"}}]
    state = [{"id": ids.CASES_TABLE, "property": "data", "value": [{"id": int(case_id)}]}]
    out = _post(client, app, ids.CASES_DETAIL_DIV, inputs, state).get_json()["response"]
    text = json.dumps(out, ensure_ascii=False)
    assert "不在辖区内" in text
    case_no = demo.execute("SELECT case_no FROM incidents WHERE id = ?", [case_id]).fetchone()[0]
    assert case_no not in text
    # A forged id that is not an integer is refused outright.
    state[0]["value"] = [{"id": "1 OR 1=1"}]
    assert _post(client, app, ids.CASES_DETAIL_DIV, inputs, state).status_code == 400


def test_exports_wait_for_a_free_slot_and_are_refused_503_when_none_frees(settings):
    """One export at a time for the whole server (export_slots 1): while a download is
    under way another export waits, and after export_wait_seconds is answered 503 with
    Retry-After; once the first is done (or stopped) the next is made."""
    import dataclasses

    app = create_app(dataclasses.replace(settings, export_slots=1, export_wait_seconds=0.5))
    first, second = app.server.test_client(), app.server.test_client()
    login_client(first, *CITY_LEADER)
    login_client(second, *CITY_LEADER)
    search = "/export/cases.csv?period=30d&region=320612"
    under_way = first.get(search, buffered=False)  # made, not yet sent
    assert under_way.status_code == 200
    refused = second.get(search)
    assert refused.status_code == 503 and refused.is_json
    assert refused.headers["Retry-After"] == "30"
    body = b"".join(under_way.response)
    under_way.close()
    again = second.get(search)
    assert again.status_code == 200 and again.data == body
    # an export refused before it started (a bad filter) holds no slot
    assert second.get("/export/cases.csv?period=forever").status_code == 400
    assert second.get(search).status_code == 200
