"""The thematic pages over HTTP: each page's one callback fills every panel with the data
of its filters, refuses foreign and malformed filters, keeps person lists to cleared
roles (masked, audited); the point layers, box selection, chips and the screen role."""

from __future__ import annotations

import json
import sqlite3

import pytest
from auth_helpers import (
    CITY_LEADER,
    COUNTY_ANALYST,
    SCREEN,
    callback_request,
    filter_state_request,
    login_client,
    post_callback,
)
from plotly_json import plain

from dashboard import cases_data, ids, thematic_data
from dashboard.clock import now_in
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from layouts.thematic import PAGES

PAGE_KEYS = [p.key for p in PAGES]



def _client(app, who):
    client = app.server.test_client()
    login_client(client, *who)
    return client


def _fill(client, app, page: str, search: str):
    inputs = [{"id": ids.FILTER_URL, "property": "search", "value": search}]
    return post_callback(client, callback_request(
        app, f"{page}-total-text.children", inputs, changed=[f"{ids.FILTER_URL}.search"]))


def _audits(settings, username: str) -> int:
    with sqlite3.connect(settings.auth_db) as con:
        return con.execute("SELECT count(*) FROM audit WHERE username = ? AND action = 'list'",
                           (username,)).fetchone()[0]


@pytest.mark.parametrize("page", PAGE_KEYS)
def test_every_page_fills_every_panel_from_its_filters(app, demo, page):
    client = _client(app, CITY_LEADER)
    search = "?period=year&region=320612"
    response = _fill(client, app, page, search)
    assert response.status_code == 200, response.data[:300]
    got = response.get_json()["response"]
    spec = next(p for p in PAGES if p.key == page)
    for panel in spec.panels:
        cid, prop = spec.panel_output(panel)
        key = json.dumps(cid, separators=(",", ":"), sort_keys=True) \
            if isinstance(cid, dict) else cid
        assert any(k == key or (isinstance(cid, dict) and json.loads(k) == cid)
                   for k in got if k.startswith("{") or k == key), panel.name
    # The headline number is the page's data for the same filters.
    data = getattr(thematic_data, page)
    filters = Filters.from_query(search)
    now = now_in()
    d = (data(demo, Scope("3206", "leader"), filters, now, cleared=True) if page == "persons"
         else data(demo, Scope("3206", "leader"), filters, now))
    assert got[f"{page}-total-text"]["children"] == spec.total(d, "zh")
    # The KPI strip is the engine's, with each definition on hover.
    cards = got[f"{page}-kpis-div"]["children"]
    assert len([c for c in cards if c["props"].get("title")]) == len(spec.kpis)


@pytest.mark.parametrize("page", PAGE_KEYS)
@pytest.mark.parametrize("search, status", [("?region=320700", 403), ("?region=3206", 403),
                                            ("?htype=地震", 400), ("?period=forever", 400),
                                            ("?grid=320613001001001", 403)])
def test_foreign_or_malformed_filters_read_nothing(app, page, search, status):
    client = _client(app, COUNTY_ANALYST)
    response = _fill(client, app, page, search)
    assert response.status_code == status
    assert b"response" not in response.data


def test_person_lists_only_for_cleared_roles_masked_and_audited(app, settings, demo):
    search = "?region=320612001"
    analyst = _client(app, COUNTY_ANALYST)
    before = _audits(settings, "county_analyst")
    text = _fill(analyst, app, "persons", search).get_data(as_text=True)
    assert "人员名单仅对具有个人信息查看权限的角色显示" in text
    assert _audits(settings, "county_analyst") == before
    leader = _client(app, CITY_LEADER)
    before = _audits(settings, "city_leader")
    response = _fill(leader, app, "persons", search)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "****" in text
    assert _audits(settings, "city_leader") == before + 1
    pii = demo.execute("SELECT id_number, phone FROM key_person_pii").df()
    assert not any(v in text for v in pii["id_number"]) and not any(
        v in text for v in pii["phone"])


@pytest.mark.parametrize("layer, search", [("incident", "?period=7d&region=320612"),
                                           ("hazard", "?period=year&region=320612"),
                                           ("sensor", "?region=320612001&stype=烟感")])
def test_point_layers_serve_exactly_the_filtered_rows(app, demo, layer, search):
    client = _client(app, COUNTY_ANALYST)
    response = client.get(f"/api/points/{layer}.geojson{search}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    got = sorted(f["id"] for f in response.get_json()["features"])
    want = thematic_data.points(demo, Scope("320612", "analyst"), Filters.from_query(search),
                                now_in(), layer)
    assert got == sorted(want["id"])


def test_point_layers_refuse_what_they_should(app):
    county = _client(app, COUNTY_ANALYST)
    assert county.get("/api/points/hazard.geojson?region=320613").status_code == 403
    assert county.get("/api/points/hazard.geojson?risk=%27").status_code == 400
    assert county.get("/api/points/persons.geojson").status_code == 404
    assert app.server.test_client().get("/api/points/hazard.geojson").status_code == 401
    assert _client(app, SCREEN).get("/api/points/hazard.geojson").status_code == 403


def _filter_state(client, app, page, search, drawing):
    """POST the filter callback as the browser does after a box is drawn on a map."""
    return post_callback(client, filter_state_request(app, page, search, drawing=drawing))


def _box(demo, village):
    lon0, lat0, lon1, lat1 = demo.execute(
        "SELECT min(lon), min(lat), max(lon), max(lat) FROM grids WHERE village_code = ?",
        [village]).fetchone()
    ring = [[lon0 - 1e-4, lat0 - 1e-4], [lon1 + 1e-4, lat0 - 1e-4], [lon1 + 1e-4, lat1 + 1e-4],
            [lon0 - 1e-4, lat1 + 1e-4], [lon0 - 1e-4, lat0 - 1e-4]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_box_drawn_on_a_map_picks_its_grids(app, demo):
    client = _client(app, COUNTY_ANALYST)
    village = "320612001001"
    geometry = _box(demo, village)
    drawing = {"type": "FeatureCollection",
               "features": [{"type": "Feature", "geometry": geometry, "properties": {}}]}
    response = _filter_state(client, app, "hazards", "?period=year&region=320612001", drawing)
    assert response.status_code == 200, response.data[:300]
    search = response.get_json()["response"][ids.FILTER_URL]["search"]
    picked = Filters.from_query(search).grids
    want = cases_data.grids_in_shape(demo, Scope("320612001", "analyst"), geometry)
    assert list(picked) == want and want
    # A shape over the whole city picks too many grids: a message, and the URL stays.
    world = {"type": "Polygon", "coordinates": [[[100, 20], [130, 20], [130, 40], [100, 20]]]}
    drawing["features"][0]["geometry"] = world
    response = _filter_state(client, app, "hazards", "?period=year", drawing)
    got = response.get_json()["response"]
    assert ids.FILTER_URL not in got and "最多 200 个" in got[ids.FILTER_ERROR_DIV]["children"]
    # A malformed shape is a bad request.
    drawing["features"][0]["geometry"] = {"type": "Polygon", "coordinates": "x"}
    assert _filter_state(client, app, "hazards", "?period=year", drawing).status_code == 400


def test_the_draw_control_mounting_changes_nothing(app):
    # leaflet-draw reports its empty layer when the map mounts; a bad link must keep its
    # URL and its message (the filter callback would otherwise rewrite both).
    client = _client(app, COUNTY_ANALYST)
    empty = {"type": "FeatureCollection", "features": []}
    response = _filter_state(client, app, "cases", "?period=year&region=320612", empty)
    assert response.status_code == 200
    assert response.get_json()["response"] == {}  # no output touched


def test_chips_dim_the_filters_a_page_does_not_use(app):
    client = _client(app, COUNTY_ANALYST)
    body = callback_request(
        app, ids.FILTER_CHIPS_DIV,
        [{"id": ids.FILTER_URL, "property": "search", "value": "?major=S01&htype=消防"}],
        [{"id": ids.FILTER_PAGE_STORE, "property": "data", "value": "hazards"}])
    chips = post_callback(client, body).get_json()["response"][ids.FILTER_CHIPS_DIV][
        "children"]
    classes = {c["props"]["id"]["value"]: c["props"]["className"] for c in chips}
    assert classes == {"S01": "gc-chip gc-chip-off", "消防": "gc-chip"}


def test_the_screen_role_gets_no_thematic_page(app):
    screen = _client(app, SCREEN)
    for page in PAGES:
        assert screen.get(page.path).status_code == 403, page.path
        assert _fill(screen, app, page.key, "").status_code == 403, page.key


def test_the_weekly_on_time_chart_has_round_count_ticks_and_the_page_data(app, demo):
    """处置时效's weekly chart: the closed counts on their own axis, with round ticks from
    zero (plotly.js otherwise syncs them to the rate axis's gridlines: 27.5, 54.9 …
    cases), weeks written month-day in both languages, and the bars and the line the
    page's weekly rows (closed cases; on time among those with a deadline)."""
    client = _client(app, CITY_LEADER)
    search = "?period=year&region=320612"
    got = _fill(client, app, "timeliness", search).get_json()["response"]
    spec = next(p for p in PAGES if p.key == "timeliness")
    panel = next(p for p in spec.panels if p.name == "ontime")
    fig = got[spec.panel_output(panel)[0]]["figure"]
    y2, x = fig["layout"]["yaxis2"], fig["layout"]["xaxis"]
    assert y2["tickmode"] == "auto" and y2["rangemode"] == "tozero" and y2["overlaying"] == "y"
    assert x["tickformat"] == "%m-%d"
    week = thematic_data.timeliness(demo, Scope("3206", "leader"), Filters.from_query(search),
                                    now_in())["week"].sort_values("key")
    bars, line = plain(fig["data"])
    assert bars["yaxis"] == "y2" and list(bars["x"]) == week["key"].tolist()
    assert bars["y"] == week["n"].tolist()
    shares = [100 * o / d if d else None for o, d in zip(week["ontime"], week["n_dl"],
                                                          strict=True)]
    assert line["y"] == [None if v is None else pytest.approx(v) for v in shares]


def test_satisfaction_by_category_shows_the_eight_most_followed_up(app, demo):
    """满意率·前8大类: the eight categories with the most rated follow-ups (with every
    category the panel's bars and labels shrank to a few pixels), their rates the page's."""
    client = _client(app, CITY_LEADER)
    search = "?period=year"
    got = _fill(client, app, "satisfaction", search).get_json()["response"]
    spec = next(p for p in PAGES if p.key == "satisfaction")
    panel = next(p for p in spec.panels if p.name == "major")
    key = json.dumps(spec.panel_output(panel)[0], separators=(",", ":"), sort_keys=True)
    (bars,) = plain(got[key]["figure"]["data"])
    major = thematic_data.satisfaction(demo, Scope("3206", "leader"),
                                       Filters.from_query(search), now_in())["major"]
    top = major.sort_values("rated", ascending=False).head(8)
    assert len(major) > 8 and len(bars["x"]) == 8
    assert sorted(bars["x"]) == pytest.approx(sorted(100 * top["satisfied"] / top["rated"]))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_write_dates_in_the_page_language(lang):
    """plotly.js names months in English unless a graph has a locale: Chinese pages pass
    theirs in each graph's config (11月15日, 2026年1月)."""
    from layouts.analysis import graph

    config = graph("cases", "trend", "day", lang).config
    assert config["displayModeBar"] is False
    if lang == "zh":
        fmt = config["locales"][config["locale"]]["format"]
        assert fmt["dayMonth"] == "%-m月%-d日" and fmt["shortMonths"][10] == "11月"
    else:
        assert "locale" not in config
