"""Source region codes in URLs and API parameters, logged in, on the three-level city.

The store (``tests/levels_helpers.py``) was imported from files whose codes are ``D01``,
``D01-P003``, ``G00042``. The overview's ``region``, the analysis pages' ``region=``, the
case export and the person API take them as well as the internal codes, with the same
answer; jurisdiction is checked on the internal code after resolving, so a district
analyst cannot reach another district through its source code.
"""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest
from auth_helpers import ORIGIN, login_client

from dashboard import create_app, ids
from dashboard.auth.store import AuthStore
from dashboard.settings import Settings

PASSWORD = "source-codes-password-1"


@pytest.fixture(scope="module")
def internal(three_levels):
    """source code → internal short code (grids: 15 digits)."""
    with duckdb.connect(str(three_levels["path"]), read_only=True) as con:
        return dict(con.execute(
            "SELECT m.source_code, coalesce(r.short_code, m.code) FROM code_map m "
            "LEFT JOIN regions r ON r.code = m.code").fetchall())


@pytest.fixture(scope="module")
def other_grid(three_levels):
    """The source code of a grid of the second district (D02)."""
    src = three_levels["src"]
    second = sorted(three_levels["counties"]["code"])[1]
    return next(src[g] for g in sorted(three_levels["grids"]["code"]) if g.startswith(second))


@pytest.fixture(scope="module")
def app(three_levels, internal, tmp_path_factory):
    auth = tmp_path_factory.mktemp("source-auth") / "auth.sqlite"
    store = AuthStore(auth)
    root = internal["D01"][:4]
    store.add_user("leader_s", "leader", root, PASSWORD, city=root)
    store.add_user("district_s", "analyst", internal["D01"], PASSWORD, city=root)
    settings = Settings.load(store=three_levels["path"], demo_on_start=False,
                             auth_db=str(auth))
    return create_app(settings)


def _client(app, user):
    client = app.server.test_client()
    login_client(client, user, PASSWORD)
    return client


def _post(client, app, output_id, inputs):
    key = next(k for k in app.callback_map if output_id in k)
    outputs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(cid) if cid.startswith("{") else cid,
                        "property": prop})
    return client.post("/_dash-update-component", headers={"Origin": ORIGIN},
                       json={"output": key, "outputs": outputs, "inputs": inputs,
                             "changedPropIds": [], "state": []})


def _overview(client, app, output_id, region, indicator=True):
    inputs = [{"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region}]
    if indicator:
        inputs.append({"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value",
                       "value": "incidents"})
    inputs += [{"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
               {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
               {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0}]
    return _post(client, app, output_id, inputs)


def _map(client, app, region):
    return _overview(client, app, ids.OVERVIEW_CRUMBS_NAV, region)


def _panels(client, app, region):
    return _overview(client, app, ids.OVERVIEW_CARDS_DIV, region, indicator=False)


def _cases_total(client, app, search):
    return _post(client, app, ids.CASES_TOTAL_TEXT,
                 [{"id": ids.FILTER_URL, "property": "search", "value": search}])


def _body(response):
    assert response.status_code == 200, response.data[:300]
    return json.loads(response.data)["response"]


def test_the_overview_opens_at_a_source_code(app, internal):
    client = _client(app, "leader_s")
    by_internal = _body(_map(client, app, internal["D01-P003"]))
    for typed in ("D01-P003", "d01-p003"):
        by_source = _body(_map(client, app, typed))
        assert by_source[ids.OVERVIEW_TITLE_TEXT] == by_internal[ids.OVERVIEW_TITLE_TEXT]
        assert by_source[ids.OVERVIEW_REGIONS_GEOJSON] == by_internal[ids.OVERVIEW_REGIONS_GEOJSON]
        assert by_source[ids.OVERVIEW_CRUMBS_NAV] == by_internal[ids.OVERVIEW_CRUMBS_NAV]
    cards = _body(_panels(client, app, "D01"))[ids.OVERVIEW_CARDS_DIV]["children"]
    assert cards == _body(_panels(client, app, internal["D01"]))[ids.OVERVIEW_CARDS_DIV][
        "children"]
    assert {c["props"]["data-region"] for c in cards} == {internal["D01"]}
    # a grid by its source code: shown among its precinct's grids
    out = _body(_map(client, app, "G00042"))
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]["selected"] == internal["G00042"]
    assert _map(client, app, "D99").status_code == 400


def test_the_page_keeps_a_source_code_from_its_url():
    from layouts import overview as view

    page = view.layout(region="D01-P003")
    stores = [c for c in page.children if getattr(c, "id", None) == ids.OVERVIEW_REGION_STORE]
    assert stores[0].data == "D01-P003"


def test_a_district_analyst_cannot_leave_through_a_source_code(app, internal, other_grid):
    client = _client(app, "district_s")
    assert _map(client, app, "D01-P003").status_code == 200
    for typed in ("D02", "d02", "D02-P001", other_grid, "0001"):
        for response in (_map(client, app, typed), _panels(client, app, typed),
                         _cases_total(client, app, f"?region={typed}")):
            assert response.status_code == 403, typed
            assert b"children" not in response.data
        assert client.get(f"/export/cases.csv?region={typed}").status_code == 403
        assert client.get(f"/api/persons/counts?region={typed}&by=grid").status_code == 403
    assert _cases_total(client, app, "?region=D99").status_code == 400


def test_analysis_filters_export_and_api_take_source_codes(app, internal):
    client = _client(app, "leader_s")
    a = _body(_cases_total(client, app, "?region=D01-P003"))[ids.CASES_TOTAL_TEXT]
    b = _body(_cases_total(client, app, f"?region={internal['D01-P003']}"))[ids.CASES_TOTAL_TEXT]
    assert a == b and a != "符合条件的事件 0 件"

    def rows(query):
        response = client.get(f"/export/cases.csv?{query}")
        assert response.status_code == 200, response.data[:200]
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    by_source = rows("region=D01-P003")
    assert len(by_source) > 1 and by_source == rows(f"region={internal['D01-P003']}")
    assert len(by_source) < len(rows(""))
    counts = client.get("/api/persons/counts?region=D01&by=grid")
    assert counts.status_code == 200
    assert counts.get_json()["region"] == internal["D01"]
    assert client.get("/export/cases.csv?region=D99").status_code == 400
