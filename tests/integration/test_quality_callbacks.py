"""The 数据质量 page over HTTP, on a store with a 311 export whose rows are 14% at a
placeholder point (``placeholder_store``): the page's callback fills every panel from the
session's scope, shows the import log to admins and city-level users only, is refused to
grid workers and the wall screen, and is in the nav of exactly the roles that may open it.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from auth_helpers import (
    ADMIN,
    CITY_ANALYST,
    CITY_LEADER,
    COUNTY_ANALYST,
    GRID_WORKER,
    SCREEN,
    TOWN_ANALYST,
    callback_request,
    login_client,
    post_callback,
)

from dashboard import create_app, ids, quality_data
from dashboard.auth.demo import seed_demo_users
from dashboard.auth.store import AuthStore
from dashboard.clock import now_in
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from dashboard.settings import Settings


@pytest.fixture(scope="module")
def qapp(placeholder_store):
    path = placeholder_store["path"]
    auth = path.with_name("quality-auth.sqlite")
    seed_demo_users(AuthStore(auth))
    app = create_app(Settings.load(store=path, demo_on_start=False, auth_db=str(auth)))
    app.server.test_client().get("/login")  # registers the pages router
    return app


@pytest.fixture(scope="module")
def qcon(placeholder_store):
    con = duckdb.connect(str(placeholder_store["path"]), read_only=True)
    yield con
    con.close()


def _client(app, who):
    client = app.server.test_client()
    login_client(client, *who)
    return client


def _fill(client, app, search: str = ""):
    inputs = [{"id": ids.FILTER_URL, "property": "search", "value": search}]
    return post_callback(client, callback_request(
        app, f"{ids.QUALITY_TOTAL_TEXT}.children", inputs,
        changed=[f"{ids.FILTER_URL}.search"]))


def _names(con, level: str, prefix: str = "") -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT name FROM regions WHERE level = $l AND starts_with(short_code, $p)",
        {"l": level, "p": prefix}).fetchall()}


def test_the_page_in_english_names_the_area_only_line_in_english(qapp):
    client = _client(qapp, CITY_LEADER)
    client.get("/lang/en?next=/quality")
    got = _fill(client, qapp).get_json()["response"]
    regions = json.dumps(got[ids.QUALITY_REGIONS_DIV], ensure_ascii=False)
    figure = json.dumps(got[ids.QUALITY_ISSUES_GRAPH], ensure_ascii=False)
    for shown in (regions, figure):
        assert "(only known to be in 南通市)" in shown
        assert "仅知属于" not in shown


@pytest.mark.parametrize("who", [CITY_LEADER, CITY_ANALYST, ADMIN])
def test_city_level_users_see_regions_points_and_the_import_log(qapp, qcon, placeholder_store,
                                                                who):
    response = _fill(_client(qapp, who), qapp)
    assert response.status_code == 200, response.data[:300]
    got = response.get_json()["response"]
    text = json.dumps(got, ensure_ascii=False)
    csv = placeholder_store["csv"].name
    assert csv in json.dumps(got[ids.QUALITY_IMPORTS_DIV], ensure_ascii=False)
    assert "120.86600, 32.01000" in json.dumps(got[ids.QUALITY_POINTS_DIV])
    # every county in the table, and the line of the rows known only for the whole area
    regions = json.dumps(got[ids.QUALITY_REGIONS_DIV], ensure_ascii=False)
    assert all(name in regions for name in _names(qcon, "county"))
    assert "仅知属于南通市" in regions
    # the cards are quality_data's totals for the same filters and scope
    table = quality_data.regions(qcon, Scope("3206", "leader"), 6,
                                 *Filters().span(now_in().date()))
    total = table[table["total"]].iloc[0]
    cards = got[ids.QUALITY_CARDS_DIV]["children"]
    values = [c["props"]["children"][1]["props"]["children"]["props"]["children"]
              for c in cards]
    assert values == [f"{int(total[k]):,}" for k in ("records", "flagged", "ungridded",
                                                     "outside", "no_deadline")]
    assert all(c["props"]["title"] for c in cards)  # each with its definition
    assert "120.86600" in text


def test_a_county_analyst_sees_only_the_county_and_no_import_log(qapp, qcon,
                                                                 placeholder_store):
    client = _client(qapp, COUNTY_ANALYST)
    response = _fill(client, qapp)
    assert response.status_code == 200
    got = response.get_json()["response"]
    text = json.dumps(got, ensure_ascii=False)
    assert placeholder_store["csv"].name not in text
    assert "120.86600" not in text  # the placeholder points are city-wide too
    regions = json.dumps(got[ids.QUALITY_REGIONS_DIV], ensure_ascii=False)
    own = _names(qcon, "town", "320612")
    others = _names(qcon, "town") - own
    assert all(name in regions for name in own)
    assert not [n for n in others if n in regions]
    assert not [n for n in _names(qcon, "county") - {"通州区"} if n in regions]
    # the figures are those of the county alone
    table = quality_data.regions(qcon, Scope("320612", "analyst"), 9,
                                 *Filters().span(now_in().date()))
    total = table[table["total"]].iloc[0]
    assert f"记录 {int(total['records']):,} 条" in got[ids.QUALITY_TOTAL_TEXT]["children"]
    # narrowing to another county is refused and reads nothing
    assert _fill(client, qapp, "?region=320613").status_code == 403
    assert _fill(client, qapp, "?region=' OR 1=1").status_code == 400
    # a town analyst below: the import log stays hidden
    town = _fill(_client(qapp, TOWN_ANALYST), qapp).get_json()["response"]
    assert placeholder_store["csv"].name not in json.dumps(town, ensure_ascii=False)


@pytest.mark.parametrize("who", [GRID_WORKER, SCREEN])
def test_grid_workers_and_screens_may_not_open_the_page(qapp, who):
    client = _client(qapp, who)
    assert _fill(client, qapp).status_code == 403
    router = next(k for k in qapp.callback_map if "_pages_content" in k)
    spec = qapp.callback_map[router]
    body = {"output": router, "outputs": [], "changedPropIds": [],
            "inputs": [{"id": i["id"], "property": i["property"],
                        "value": "/quality" if i["property"] == "pathname" else None}
                       for i in spec["inputs"]],
            "state": [{"id": s["id"], "property": s["property"], "value": None}
                      for s in spec["state"]]}
    assert post_callback(client, body).status_code == 403
    assert client.get("/quality").status_code in (302, 303, 403)


def test_the_nav_lists_the_page_for_exactly_the_roles_that_may_open_it(qapp):
    for who, shown in ((CITY_LEADER, True), (COUNTY_ANALYST, True), (ADMIN, True),
                       (GRID_WORKER, False)):
        layout = _client(qapp, who).get("/_dash-layout").get_data(as_text=True)
        assert ("数据质量" in layout) is shown, who[0]
        assert "重点人群" in layout  # the other pages stay
    screen = _client(qapp, SCREEN).get("/_dash-layout").get_data(as_text=True)
    assert "数据质量" not in screen and "指挥总览" in screen


def test_the_page_speaks_english(qapp):
    client = _client(qapp, CITY_LEADER)
    client.set_cookie("gridcmd_lang", "en")
    got = _fill(client, qapp).get_json()["response"]
    text = json.dumps(got, ensure_ascii=False)
    assert "records" in got[ids.QUALITY_TOTAL_TEXT]["children"]
    assert "Placeholder points" in text and "Outside every grid" in text
    page = client.get("/quality").get_data(as_text=True)
    assert page  # the page shell is served; its layout comes from /_dash-layout
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert '"Quality"' in layout  # the nav link's label
