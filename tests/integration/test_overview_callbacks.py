"""The overview's callbacks and point layers over HTTP, through the Flask test client."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
from auth_helpers import CITY_LEADER, ORIGIN, login_client

from dashboard import ids, levels
from dashboard import overview_data as od
from dashboard.clock import now_in
from dashboard.kpi.registry import get
from dashboard.kpi.scope import Scope

CITY = "320600000000"
COUNTY = "320612"
MAX_GZIP = 100 * 1024  # issue 4: map interactions answer in at most 100 KB gzipped





@pytest.fixture(scope="module")
def village(demo) -> str:
    return demo.execute(
        "SELECT left(grid_code, 12) FROM incidents WHERE grid_code LIKE '320612%' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]


def _callback(app, output_id: str):
    key = next(k for k in app.callback_map if output_id in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    return key, outputs


def _post(client, app, output_id, inputs, changed=()):
    key, outputs = _callback(app, output_id)
    body = {"output": key, "outputs": outputs, "inputs": inputs,
            "changedPropIds": list(changed), "state": []}
    return client.post("/_dash-update-component", json=body,
                       headers={"Accept-Encoding": "gzip", "Origin": ORIGIN})


def _asof(asof=None, period=None):
    """The as-of picker and period inputs (None: the defaults)."""
    return [{"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": asof},
            {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": period}]


def _map(client, app, region="", indicator="incidents", changed=(), asof=None, period=None):
    inputs = [
        {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
        {"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value", "value": indicator},
        *_asof(asof, period),
        {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0},
    ]
    return _post(client, app, ids.OVERVIEW_CRUMBS_NAV, inputs, changed)


def _league(client, app, region="", asof=None, period=None):
    inputs = [
        {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
        *_asof(asof, period),
        {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0},
    ]
    return _post(client, app, ids.OVERVIEW_LEAGUE_LIST, inputs)


def _panels(client, app, region="", asof=None, period=None):
    inputs = [
        {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
        *_asof(asof, period),
        {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0},
    ]
    return _post(client, app, ids.OVERVIEW_CARDS_DIV, inputs)


def _json(response):
    assert response.status_code == 200, response.data[:300]
    data = gzip.decompress(response.data) if response.headers.get(
        "Content-Encoding") == "gzip" else response.data
    return json.loads(data)["response"]


def test_map_view_of_the_city(client, app, demo):
    response = _map(client, app)
    assert len(response.data) <= MAX_GZIP
    out = _json(response)
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["url"] == f"/geo/{CITY}.geojson"
    hideout = out[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]
    v = od.view(demo, Scope("3206", "leader"), "")
    kids = od.children(demo, v, now_in())
    assert hideout["values"] == dict(zip(kids["code"], kids["incidents"], strict=True))
    assert len(hideout["colors"]) == len(hideout["breaks"]) + 1
    (south, west), (north, east) = out[ids.OVERVIEW_MAP]["viewport"]["bounds"]
    assert 31.5 < south < north < 32.9 and 119.9 < west < east < 122.2
    assert out[ids.OVERVIEW_BASE_LAYERGROUP]["children"] == []  # no tiles unless configured
    assert out[ids.OVERVIEW_REFRESH_INTERVAL]["interval"] >= 5_000
    assert out[ids.OVERVIEW_INCIDENTS_GEOJSON]["url"] is None  # points from village level on
    crumbs = out[ids.OVERVIEW_CRUMBS_NAV]["children"]
    assert [c["props"]["children"] for c in crumbs] == ["南通市"]
    league = _json(_league(client, app))[ids.OVERVIEW_LEAGUE_LIST]["children"]
    assert len(league) == 8
    scored = od.league(demo, v, now_in())
    assert [li["props"]["data-code"] for li in league] == list(scored["code"])
    # Geometry never travels in a callback response.
    assert "coordinates" not in json.dumps(out)


@pytest.mark.parametrize("indicator", sorted(od.INDICATORS))
def test_every_indicator_colours_the_map(client, app, demo, indicator):
    out = _json(_map(client, app, region=COUNTY, indicator=indicator))
    hideout = out[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]
    assert hideout["indicator"] == indicator
    v = od.view(demo, Scope("3206", "leader"), COUNTY)
    kids = od.children(demo, v, now_in())
    scale = 100 if get(od.INDICATORS[indicator].kpi).unit == "%" else 1  # rates in %
    for code, value in zip(kids["code"], kids[indicator], strict=True):
        got = hideout["values"][code]
        assert (got is None and pd.isna(value)) or got == pytest.approx(value * scale)


def test_drilling_to_a_village_and_a_grid_adds_points(client, app, demo, village):
    out = _json(_map(client, app, region=village))
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["url"] == f"/geo/{village}.geojson"
    assert out[ids.OVERVIEW_INCIDENTS_GEOJSON]["url"].startswith(f"/points/{village}.geojson")
    grid = demo.execute("SELECT min(code) FROM grids WHERE village_code = ?",
                        [village]).fetchone()[0]
    out = _json(_map(client, app, region=grid))
    hideout = out[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]
    assert hideout["selected"] == grid
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["url"] == f"/geo/{village}.geojson"
    assert out[ids.OVERVIEW_HAZARDS_GEOJSON]["url"].startswith(f"/points/{grid}.geojson")
    assert len(out[ids.OVERVIEW_CRUMBS_NAV]["children"]) == 9  # 5 crumbs, 4 separators


def test_a_level_above_the_polygon_cap_is_cut_with_a_notice(client, app, demo, monkeypatch):
    county = COUNTY.ljust(12, "0")
    towns = demo.execute("SELECT code FROM regions WHERE parent_code = ? ORDER BY code",
                         [county]).fetchall()
    assert len(towns) > 3
    out = _json(_map(client, app, region=COUNTY))
    assert "仅绘制" not in out[ids.OVERVIEW_PERIOD_TEXT]["children"]  # the demo is below it
    monkeypatch.setattr(levels, "MAX_POLYGONS", 3)
    geo = client.get(f"/geo/{county}.geojson")
    assert geo.status_code == 200
    drawn = [f["properties"]["code"] for f in json.loads(geo.data)["features"]]
    assert drawn == [code for (code,) in towns[:3]]
    assert geo.headers["X-Total-Count"] == str(len(towns))
    out = _json(_map(client, app, region=COUNTY))
    assert sorted(out[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]["values"]) == drawn
    assert out[ids.OVERVIEW_PERIOD_TEXT]["children"].endswith(
        f"仅绘制前 3 个（共 {len(towns)} 个）")


def test_refresh_and_indicator_leave_the_view_alone(client, app):
    tick = [f"{ids.OVERVIEW_REFRESH_INTERVAL}.n_intervals"]
    out = _json(_map(client, app, region=COUNTY, changed=tick))
    assert ids.OVERVIEW_MAP not in out
    assert ids.OVERVIEW_BASE_LAYERGROUP not in out
    out = _json(_map(client, app, region=COUNTY, indicator="overdue",
                     changed=[f"{ids.OVERVIEW_INDICATOR_RADIO}.value"]))
    assert ids.OVERVIEW_MAP not in out


def _app_with(settings, **changes):
    from dataclasses import replace

    from dashboard import create_app

    app = create_app(replace(settings, **changes))
    client = app.server.test_client()
    login_client(client, *CITY_LEADER)
    return app, client


def test_tiles_only_when_configured(settings):
    url = "http://tiles.intranet.example/{z}/{x}/{y}.png"
    app, client = _app_with(settings, tile_url=url)
    out = _json(_map(client, app))
    layers = out[ids.OVERVIEW_BASE_LAYERGROUP]["children"]
    assert [layer["type"] for layer in layers] == ["TileLayer"]
    assert layers[0]["props"]["url"] == url


def test_panels_equal_the_data_layer(client, app, demo):
    response = _panels(client, app, region=COUNTY)
    assert len(response.data) <= MAX_GZIP
    out = _json(response)
    now = now_in()
    scope = Scope(COUNTY, "leader")
    cards = {c["key"]: c for c in od.cards(demo, scope, now)}
    shown = out[ids.OVERVIEW_CARDS_DIV]["children"]
    assert len(shown) == len(od.CARD_KEYS)
    for card in shown:
        key = card["props"]["id"]["key"]
        value = card["props"]["data-value"]
        expected = cards[key]["value"]
        assert (value == "" and pd.isna(expected)) or float(value) == pytest.approx(expected)
    counts, _ = od.alerts(demo, scope, now)
    counters = {c["props"]["id"]["kind"]: int(c["props"]["data-count"])
                for c in out[ids.OVERVIEW_ALERT_COUNTS_DIV]["children"]}
    assert counters == counts
    figure = out[ids.OVERVIEW_TREND_STORE]["data"]  # scaled to the screen in the browser
    assert len(figure["data"]) == 3 and len(figure["data"][0]["x"]) == 12
    # A store built a moment ago is fresh: no stale banner.
    assert out[ids.OVERVIEW_STALE_DIV]["hidden"] is True


def test_stale_banner_when_the_feeds_stop(settings):
    app, client = _app_with(settings, stale_minutes=0)
    out = _json(_panels(client, app))
    assert out[ids.OVERVIEW_STALE_DIV]["hidden"] is False
    assert "未更新" in out[ids.OVERVIEW_STALE_DIV]["children"]


@pytest.mark.parametrize("region, status", [
    ("320700000000", 403), ("3207", 403), ("320700000000001", 403),
    ("3206%", 400), ("' OR 1=1 --", 400), ("３２０６", 400), ("32061200100100199", 400),
])
def test_bad_regions_are_refused_by_every_callback(client, app, region, status):
    for response in (_map(client, app, region=region), _panels(client, app, region=region),
                     _league(client, app, region=region)):
        assert response.status_code == status
        assert b"hideout" not in response.data and b"children" not in response.data


def test_a_county_user_is_kept_in_the_county(county_client, app):
    client = county_client  # the demo county analyst of 通州区 (320612)
    out = _json(_map(client, app))
    assert out[ids.OVERVIEW_REGIONS_GEOJSON]["url"] == f"/geo/{COUNTY}000000.geojson"
    for region in ("", COUNTY):
        assert _map(client, app, region=region).status_code == 200
    for region in ("3206", CITY, "320613", "320613001001"):
        assert _map(client, app, region=region).status_code == 403
        assert _panels(client, app, region=region).status_code == 403
    # The city layer answers with the county itself only, never its neighbours.
    layer = client.get(f"/geo/{CITY}.geojson").get_json()
    assert [f["properties"]["short_code"] for f in layer["features"]] == [COUNTY]
    assert client.get("/geo/320613000000.geojson").status_code == 403


# --- point layers --------------------------------------------------------------------


def test_points_of_a_village_match_the_store(client, demo, village):
    now = now_in()
    response = client.get(f"/points/{village}.geojson?layer=incident")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    features = response.get_json()["features"]
    inc = demo.execute("SELECT * FROM incidents WHERE grid_code LIKE ? || '%'",
                       [village]).df()
    # the overview's default period: the 30 days up to and including today
    since = datetime.combine(now.date() - timedelta(days=29), datetime.min.time())
    recent = inc[(inc["reported_at"] >= since) & (inc["reported_at"] <= now)
                 & ~inc["is_void"]]
    assert sorted(f["id"] for f in features) == sorted(recent["id"].tolist())
    assert all(set(f["properties"]) == {"layer", "label", "state", "alert"} for f in features)
    hazards = client.get(f"/points/{village}.geojson?layer=hazard").get_json()["features"]
    hz = demo.execute("SELECT id FROM hazards WHERE grid_code LIKE ? || '%' "
                      "AND rectified_at IS NULL AND found_at <= ?", [village, now]).df()
    assert sorted(f["id"] for f in hazards) == sorted(hz["id"].tolist())
    assert {f["properties"]["state"] for f in hazards} <= {"一般", "较大", "重大"}


@pytest.mark.parametrize("path, status", [
    ("/points/320700000001.geojson?layer=incident", 403),
    ("/points/320612000000.geojson?layer=incident", 404),  # a county: too many points
    ("/points/320612001001.geojson?layer=people", 404),
    ("/points/3206%25.geojson?layer=incident", 404),
])
def test_points_refuse_bad_requests(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert "features" not in response.get_json()


# --- language -------------------------------------------------------------------------


def test_language_switch_is_a_cookie_and_stays_on_site(client, app):
    response = client.get("/lang/en?next=/?region=320612")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/?region=320612")
    out = _json(_map(client, app))
    assert out[ids.OVERVIEW_TITLE_TEXT]["children"].endswith("situation")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.get("/lang/zh", query_string={"next": evil})
        assert response.headers["Location"] in ("/", "http://localhost/")
    out = _json(_map(client, app))
    assert out[ids.OVERVIEW_TITLE_TEXT]["children"].endswith("综合态势")
