"""The overview of a three-level city (district, precinct, grid) over HTTP, logged in.

The store is ``tests/levels_helpers.py``'s (a pass-through village slot between precincts
and grids); the app, its accounts and the callbacks are the real ones.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from auth_helpers import ORIGIN, login_client
from levels_helpers import AREA

from dashboard import create_app, ids
from dashboard.auth.store import AuthStore
from dashboard.settings import Settings

PASSWORD = "levels-test-password-1"


@pytest.fixture(scope="module")
def codes(three_levels):
    """Internal codes: the root (short), a district and one of its precincts (12 digits),
    another district, and the precinct's grids."""
    with duckdb.connect(str(three_levels["path"]), read_only=True) as con:
        root = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL"
                           ).fetchone()[0]
        counties = [r[0] for r in con.execute(
            "SELECT code FROM regions WHERE level = 'county' ORDER BY code").fetchall()]
        town = con.execute("SELECT code FROM regions WHERE level = 'town' AND parent_code = $p "
                           "ORDER BY code LIMIT 1", {"p": counties[0]}).fetchone()[0]
        grids = [r[0] for r in con.execute(
            "SELECT code FROM grids WHERE starts_with(code, $t) ORDER BY code",
            {"t": town[:9]}).fetchall()]
        names = dict(con.execute("SELECT code, name FROM regions").fetchall())
    return {"root": root, "district": counties[0], "other": counties[1], "town": town,
            "grids": grids, "names": names}


@pytest.fixture(scope="module")
def app(three_levels, codes, tmp_path_factory):
    auth = tmp_path_factory.mktemp("levels-auth") / "auth.sqlite"
    store = AuthStore(auth)
    root = codes["root"]
    store.add_user("leader3", "leader", root, PASSWORD, city=root)
    store.add_user("district3", "analyst", codes["district"][:6], PASSWORD, city=root)
    settings = Settings.load(store=three_levels["path"], demo_on_start=False,
                             auth_db=str(auth))
    return create_app(settings)


def _client(app, user):
    client = app.server.test_client()
    login_client(client, user, PASSWORD)
    return client


def _map(client, app, region=""):
    key = next(k for k in app.callback_map if ids.OVERVIEW_CRUMBS_NAV in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    inputs = [
        {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
        {"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value", "value": "incidents"},
        {"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
        {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
        {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0},
    ]
    return client.post("/_dash-update-component", headers={"Origin": ORIGIN},
                       json={"output": key, "outputs": outputs, "inputs": inputs,
                             "changedPropIds": [], "state": []})


def _league_title(client, app, region):
    key = next(k for k in app.callback_map if ids.OVERVIEW_LEAGUE_TITLE in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    inputs = [{"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
              {"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
              {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
              {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0}]
    response = client.post("/_dash-update-component", headers={"Origin": ORIGIN},
                           json={"output": key, "outputs": outputs, "inputs": inputs,
                                 "changedPropIds": [], "state": []})
    assert response.status_code == 200, response.data[:300]
    return json.loads(response.data)["response"][ids.OVERVIEW_LEAGUE_TITLE]["children"]


def _out(response):
    assert response.status_code == 200, response.data[:300]
    return json.loads(response.data)["response"]


def _crumbs(out):
    return [(c["props"]["children"], c["props"]["title"])
            for c in out[ids.OVERVIEW_CRUMBS_NAV]["children"] if c.get("type") == "Button"]


def test_drill_from_the_area_to_a_precincts_grids(app, codes):
    client = _client(app, "leader3")
    names = codes["names"]
    out = _out(_map(client, app))
    root12 = codes["root"].ljust(12, "0")
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["url"] == f"/geo/{root12}.geojson"
    assert _crumbs(out) == [(AREA, AREA)]
    assert _league_title(client, app, "").startswith("district")
    layer = client.get(f"/geo/{root12}.geojson").get_json()
    assert [f["properties"]["level"] for f in layer["features"]] == ["county", "county"]
    # a precinct: its layer is its grids, points are served, no pass-through crumb
    town = codes["town"]
    out = _out(_map(client, app, town))
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["url"] == f"/geo/{town}.geojson"
    assert _crumbs(out) == [(AREA, AREA), (names[codes["district"]], "district"),
                            (names[town], "precinct")]
    assert set(out[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]["values"]) == set(codes["grids"])
    assert out[ids.OVERVIEW_INCIDENTS_GEOJSON]["url"].startswith(f"/points/{town}.geojson")
    assert _league_title(client, app, town).startswith("grid")
    layer = client.get(f"/geo/{town}.geojson").get_json()
    assert sorted(f["properties"]["code"] for f in layer["features"]) == codes["grids"]
    assert client.get(f"/points/{town}.geojson?layer=incident").status_code == 200
    # a district is still too large for points
    assert client.get(f"/points/{codes['district']}.geojson?layer=incident"
                      ).status_code == 404
    # a grid: among its precinct's grids, crumbs of the shown levels only
    out = _out(_map(client, app, codes["grids"][0]))
    assert [title for _, title in _crumbs(out)] == [AREA, "district", "precinct", "grid"]


def test_a_district_user_stays_in_the_district(app, codes):
    client = _client(app, "district3")
    out = _out(_map(client, app))
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["url"] == f"/geo/{codes['district']}.geojson"
    assert _map(client, app, codes["other"]).status_code == 403
    assert _map(client, app, codes["root"]).status_code == 403
    assert client.get(f"/geo/{codes['other']}.geojson").status_code == 403
    layer = client.get(f"/geo/{codes['root'].ljust(12, '0')}.geojson").get_json()
    assert [f["properties"]["code"] for f in layer["features"]] == [codes["district"]]


def test_case_export_follows_the_levels(app, codes):
    import csv
    import io

    client = _client(app, "leader3")
    response = client.get("/export/cases.csv")
    assert response.status_code == 200, response.data[:300]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    # the precinct column is named from the store; the pass-through village has none
    assert "precinct" in header and "村(社区)" not in header and "乡镇(街道)" not in header
    towns = {n for c, n in codes["names"].items() if c.endswith("000") and
             not c.endswith("000000")}
    at = header.index("precinct")
    assert len(rows) > 1 and {r[at] for r in rows[1:]} <= towns
