"""A store whose data ended in the past (30 June 2016), through the logged-in callbacks.

Today the overview of such a store must not read it "as of now" (every card 0, every open
case overdue, 数据已3989天未更新, every unit 样本不足): it is shown as of its last data day
with a banner, or as of a day a leader picks, and every figure is the store as it stood
then. Figures are compared with the KPI engine and with pandas over the raw rows.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from auth_helpers import CITY_LEADER, ORIGIN, login_client

from dashboard import create_app, ids
from dashboard import overview_data as od
from dashboard import periods as asof
from dashboard.auth.store import AuthStore
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope

CITY = Scope("3206", "leader")
PAST_END = datetime(2016, 6, 30, 18, 0)  # tests/conftest.py's past_store ends here
LAST_DAY = PAST_END.date()
END = datetime.combine(LAST_DAY, time.max)  # the as-of moment of the store's default
PICKED = date(2016, 3, 31)
PICKED_END = datetime.combine(PICKED, time.max)


@pytest.fixture(scope="module")
def con(past_store):
    c = duckdb.connect(str(past_store), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def raw(con):
    return {name: con.execute(f"SELECT * FROM {name}").df()
            for name in ("incidents", "hazards", "sensor_alerts", "foresight_scores")}


@pytest.fixture(scope="module")
def app(past_settings):
    return create_app(past_settings)


@pytest.fixture(scope="module")
def client(app):
    client = app.server.test_client()
    login_client(client, *CITY_LEADER)
    return client


def _post(client, app, output_id, inputs):
    key = next(k for k in app.callback_map if output_id in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    response = client.post("/_dash-update-component",
                           json={"output": key, "outputs": outputs, "inputs": inputs,
                                 "changedPropIds": [], "state": []},
                           headers={"Origin": ORIGIN, "Accept-Encoding": "gzip"})
    return response


def _out(response):
    assert response.status_code == 200, response.data[:300]
    body = gzip.decompress(response.data) if response.headers.get(
        "Content-Encoding") == "gzip" else response.data
    return json.loads(body)["response"]


def _inputs(region="", asof_=None, period=None, indicator=None):
    out = [{"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region}]
    if indicator is not None:
        out.append({"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value",
                    "value": indicator})
    out += [{"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": asof_},
            {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": period},
            {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0}]
    return out


def _panels(client, app, **kw):
    return _out(_post(client, app, ids.OVERVIEW_CARDS_DIV, _inputs(**kw)))


def _map(client, app, **kw):
    return _out(_post(client, app, ids.OVERVIEW_CRUMBS_NAV, _inputs(indicator="incidents", **kw)))


def _league(client, app, **kw):
    return _out(_post(client, app, ids.OVERVIEW_LEAGUE_LIST, _inputs(**kw)))


def _cards(out) -> dict[str, float]:
    return {c["props"]["id"]["key"]: float(c["props"]["data-value"] or "nan")
            for c in out[ids.OVERVIEW_CARDS_DIV]["children"]}


def _counters(out) -> dict[str, int]:
    return {c["props"]["id"]["kind"]: int(c["props"]["data-count"])
            for c in out[ids.OVERVIEW_ALERT_COUNTS_DIV]["children"]}


def _alerts_at(raw, moment: datetime, prefix: str = "3206") -> dict[str, int]:
    """Alert counts as they stood at ``moment``, from the raw rows."""
    inc = raw["incidents"]
    inc = inc[inc["grid_code"].str.startswith(prefix)]
    open_ = (~inc["is_void"] & inc["deadline_at"].notna() & (inc["registered_at"] <= moment)
             & (inc["closed_at"].isna() | (inc["closed_at"] > moment)))
    overdue = open_ & (inc["deadline_at"] < moment)
    limit = inc["deadline_at"] - inc["registered_at"]
    due_soon = open_ & ~overdue & (moment >= inc["registered_at"] + limit * 0.8)
    hz = raw["hazards"]
    hz = hz[hz["grid_code"].str.startswith(prefix)]
    major = ((hz["risk_level"] == "重大") & (hz["found_at"] <= moment)
             & (hz["rectified_at"].isna() | (hz["rectified_at"] > moment)))
    al = raw["sensor_alerts"]
    al = al[al["grid_code"].str.startswith(prefix)]
    iot = (al["alerted_at"] <= moment) & (al["handled_at"].isna() | (al["handled_at"] > moment))
    # 异常预警: stored surge alerts found by a run by ``moment`` for a day at most two
    # days before it
    fs = raw["foresight_scores"]
    surge = ((fs["kind"] == "surge") & fs["grid_code"].str.startswith(prefix)
             & (fs["asof_at"] <= moment)
             & (pd.to_datetime(fs["day"]) >= pd.Timestamp(moment).normalize()
                - pd.Timedelta(days=2)))
    return {"overdue": int(overdue.sum()), "due_soon": int(due_soon.sum()),
            "major_hazard": int(major.sum()), "iot": int(iot.sum()),
            "surge": int(surge.sum())}


def _reported(raw, d0: date, d1: date, prefix: str = "3206") -> int:
    inc = raw["incidents"]
    day = inc["reported_at"].dt.date
    return int(((day >= d0) & (day <= d1) & inc["grid_code"].str.startswith(prefix)).sum())


# --- the as-of moment of the store ---------------------------------------------------------


def test_the_store_is_shown_as_of_its_last_data_day(con):
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    assert datetime.fromisoformat(meta["history_end"]) == PAST_END
    a = od.as_of(con, datetime.now(), None, stale_days=3)
    assert a.mode == "data" and a.moment == END
    assert a.latest.date() == LAST_DAY
    # the setting turned off: now, as before
    assert od.as_of(con, datetime.now(), None, stale_days=0).live


# --- panels --------------------------------------------------------------------------------


def test_cards_are_the_last_30_days_of_the_data_not_zeros(client, app, con, raw):
    out = _panels(client, app)
    cards = _cards(out)
    d0, d1 = asof.window(LAST_DAY, "30d")
    assert (d0, d1) == (date(2016, 6, 1), LAST_DAY)
    # against pandas over the raw rows
    assert cards["reported"] == _reported(raw, d0, d1) > 0
    assert cards["today"] == _reported(raw, LAST_DAY, LAST_DAY) > 0
    # and against the engine, every card
    engine = kpis(con, CITY, d0, d1, keys=list(od.CARD_KEYS[1:])).set_index("key")["value"]
    for key in od.CARD_KEYS[1:]:
        assert cards[key] == pytest.approx(engine[key], nan_ok=True), key
    assert cards["close_rate"] > 0.5  # not "0% 未达标"
    # the labels name the period and the day
    text = json.dumps(out[ids.OVERVIEW_CARDS_DIV], ensure_ascii=False)
    assert "近30天上报" in text and "06-30上报" in text and "今日上报" not in text
    assert out[ids.OVERVIEW_CARDS_TITLE]["children"] == "核心指标 · 近30天"


def test_banner_says_as_of_not_stale(client, app):
    out = _panels(client, app)
    banner = out[ids.OVERVIEW_STALE_DIV]
    assert banner["hidden"] is False
    assert banner["children"] == "数据截至 2016-06-30（历史数据，非实时）"
    assert "gc-banner-asof" in banner["className"]
    assert "未更新" not in json.dumps(out, ensure_ascii=False)
    # the picker shows the day in force and opens at it; nothing later can be picked
    assert out[ids.OVERVIEW_ASOF_PICKER]["placeholder"] == "2016-06-30"
    assert out[ids.OVERVIEW_ASOF_PICKER]["initial_visible_month"] == "2016-06-30"
    assert out[ids.OVERVIEW_FEED_TITLE]["children"] == "最新事件 · 截至2016-06-30"


def test_no_false_overdue(client, app, con, raw):
    out = _panels(client, app)
    counters = _counters(out)
    expected = _alerts_at(raw, END)
    assert counters == expected
    # the engine's stock of overdue cases at the end of the day agrees
    engine = kpis(con, CITY, LAST_DAY, LAST_DAY, keys=["overdue"]).set_index("key")["value"]
    assert counters["overdue"] == engine["overdue"]
    # read as of today, every case still open would be overdue: many more
    naive = _alerts_at(raw, datetime.now())
    assert naive["overdue"] > 2 * max(1, counters["overdue"])
    # the cases open at the as-of moment whose deadline had not passed are not overdue
    inc = raw["incidents"]
    in_time = (~inc["is_void"] & (inc["deadline_at"] >= END) & (inc["registered_at"] <= END)
               & (inc["closed_at"].isna() | (inc["closed_at"] > END)))
    assert in_time.sum() > 0


def test_feed_ends_at_the_as_of_moment_with_the_status_then(client, app, con, raw):
    feed = od.feed(con, CITY, PICKED_END, n=50)
    inc = raw["incidents"]
    recent = inc[(inc["reported_at"] <= PICKED_END)
                 & (inc["reported_at"] >= PICKED_END - timedelta(days=7))]
    want = recent.sort_values(["reported_at", "id"], ascending=False).head(50)
    assert feed["id"].tolist() == want["id"].tolist()
    status = feed.set_index("id")["status"]
    later = want[~want["is_void"] & (want["closed_at"] > PICKED_END)]
    assert len(later) > 0
    assert not (status[later["id"]] == "已结案").any()  # closed later: open then
    closed = want[~want["is_void"] & (want["closed_at"] <= PICKED_END)]
    assert (status[closed["id"]] == "已结案").all()


def test_map_and_league_cover_the_period_of_the_data(client, app, con, raw):
    out = _map(client, app)
    values = out[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]["values"]
    inc = raw["incidents"]
    day = inc["reported_at"].dt.date
    window = inc[(day >= date(2016, 6, 1)) & (day <= LAST_DAY)]
    per_county = window["grid_code"].str[:6].value_counts()
    for code, value in values.items():
        assert value == per_county.get(code[:6], 0)
    assert sum(values.values()) > 0
    assert out[ids.OVERVIEW_PERIOD_TEXT]["children"].startswith(
        "近30天 2016-06-01 至 2016-06-30 · 存量截至 2016-06-30")
    league = _league(client, app)
    rows = league[ids.OVERVIEW_LEAGUE_LIST]["children"]
    units = [r["props"] for r in rows if "data-grade" in r["props"]]
    grades = [u["data-grade"] for u in units]
    ranked = [u for u in units if "gc-rank-unranked" not in u["className"]]
    assert ranked, "every unit 样本不足"
    assert set(grades) != {"E"}
    assert league[ids.OVERVIEW_LEAGUE_NOTE]["children"].startswith("近30天")


# --- another as-of day and period ------------------------------------------------------------


def test_picking_an_earlier_day_and_a_period_changes_every_figure(client, app, con, raw):
    default = _panels(client, app)
    out = _panels(client, app, asof_=PICKED.isoformat(), period="month")
    cards = _cards(out)
    assert cards != _cards(default)
    d0, d1 = date(2016, 3, 1), PICKED
    assert cards["reported"] == _reported(raw, d0, d1)
    assert cards["today"] == _reported(raw, PICKED, PICKED)
    engine = kpis(con, CITY, d0, d1, keys=list(od.CARD_KEYS[1:])).set_index("key")["value"]
    for key in od.CARD_KEYS[1:]:
        assert cards[key] == pytest.approx(engine[key], nan_ok=True), key
    # 本月 keeps its rule: 环比 is 1–29 Feb (a leap year), 同比 March 2015
    mom = kpis(con, CITY, date(2016, 2, 1), date(2016, 2, 29), keys=["reported"])
    yoy = kpis(con, CITY, date(2015, 3, 1), date(2015, 3, 31), keys=["reported"])
    raw_cards = {c["key"]: c for c in od.cards(con, CITY, PICKED_END, period="month")}
    assert raw_cards["reported"]["mom"] == mom["value"].iloc[0]
    assert raw_cards["reported"]["yoy"] == yoy["value"].iloc[0]
    assert _counters(out) == _alerts_at(raw, PICKED_END)
    assert out[ids.OVERVIEW_STALE_DIV]["children"] == "查看 2016-03-31 时点数据（非实时）"
    assert out[ids.OVERVIEW_CARDS_TITLE]["children"] == "核心指标 · 本月"
    # the trends end with the picked month
    trend = out[ids.OVERVIEW_TREND_STORE]["data"]["data"][0]["x"]
    assert trend[-1] == "16.03" and len(trend) == 12


def test_a_year_has_no_month_on_month_base(client, app):
    out = _panels(client, app, period="year")
    text = json.dumps(out[ids.OVERVIEW_CARDS_DIV], ensure_ascii=False)
    assert "同比" in text and "环比" not in text
    assert "本年上报" in text


def test_points_follow_the_as_of_day(client, con, raw):
    # the village with the most cases of March 2016 that were overdue on 31 March and
    # closed only later (read as of today they would not be overdue on the map)
    village = con.execute(
        "SELECT left(grid_code, 12) FROM incidents WHERE reported_at >= DATE '2016-03-01' "
        "AND reported_at < DATE '2016-04-01' AND NOT is_void GROUP BY 1 "
        "ORDER BY count(*) FILTER (WHERE deadline_at < $m AND closed_at > $m) DESC, "
        "count(*) DESC, 1 LIMIT 1", {"m": PICKED_END}).fetchone()[0]
    response = client.get(f"/points/{village}.geojson?layer=incident&asof=2016-03-31"
                          "&period=month")
    assert response.status_code == 200
    features = response.get_json()["features"]
    inc = raw["incidents"]
    want = inc[inc["grid_code"].str.startswith(village) & ~inc["is_void"]
               & (inc["reported_at"] >= datetime(2016, 3, 1))
               & (inc["reported_at"] <= PICKED_END)]
    assert sorted(f["id"] for f in features) == sorted(want["id"])
    overdue = want[(want["closed_at"].isna() | (want["closed_at"] > PICKED_END))
                   & (want["deadline_at"] < PICKED_END)]
    assert sorted(f["id"] for f in features if f["properties"]["alert"] == "overdue") \
        == sorted(overdue["id"])
    assert (overdue["closed_at"] > PICKED_END).any()
    # the default: the last 30 days of the data, not of today
    default = client.get(f"/points/{village}.geojson?layer=incident").get_json()["features"]
    assert all(f["id"] not in set(want["id"]) for f in default)
    for bad in ("asof=2016-13-01", "asof=x", "period=5y"):
        assert client.get(f"/points/{village}.geojson?layer=incident&{bad}").status_code == 400


@pytest.mark.parametrize("value", ["2016-13-01", "soon", ["2016-03-31"], {"d": 1}, 7])
def test_a_forged_as_of_or_period_is_refused(client, app, value):
    for kw in ({"asof_": value}, {"period": value}):
        for output in (ids.OVERVIEW_CARDS_DIV, ids.OVERVIEW_LEAGUE_LIST):
            response = _post(client, app, output, _inputs(**kw))
            assert response.status_code == 400
        response = _post(client, app, ids.OVERVIEW_CRUMBS_NAV,
                         _inputs(indicator="incidents", **kw))
        assert response.status_code == 400


# --- URLs: the page, the kiosk -------------------------------------------------------------


def test_the_page_takes_asof_and_period_from_its_url():
    from dash.development.base_component import Component

    from layouts import overview as view

    def find(tree, ident):
        if isinstance(tree, Component):
            if getattr(tree, "id", None) == ident:
                return tree
            children = getattr(tree, "children", None)
            for child in children if isinstance(children, list) else [children]:
                found = find(child, ident)
                if found is not None:
                    return found
        return None

    page = view.layout(asof="2016-03-31", period="quarter", kiosk="1", rotate="30")
    assert find(page, ids.OVERVIEW_ASOF_PICKER).date == "2016-03-31"
    assert find(page, ids.OVERVIEW_PERIOD_RADIO).value == "quarter"
    page = view.layout(asof="not-a-date", period="5y")
    # no date given at all (a picker given date=None reports it as it mounts, a second
    # request that would supersede the first)
    assert "date" not in find(page, ids.OVERVIEW_ASOF_PICKER).to_plotly_json()["props"]
    assert find(page, ids.OVERVIEW_PERIOD_RADIO).value == "30d"


def test_a_kiosk_url_carries_asof_and_period(app, past_settings):
    store = AuthStore(Path(past_settings.auth_db))
    token = store.create_token("screen")
    client = app.server.test_client()
    response = client.get(f"/kiosk/{token}?asof=2016-03-31&period=month&rotate=20&evil=1"
                          "&play=1")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/?kiosk=1")
    for part in ("asof=2016-03-31", "period=month", "rotate=20", "play=1"):
        assert part in location
    assert "evil" not in location


# --- the analysis pages on a past store ----------------------------------------------------------


def test_the_cases_page_defaults_to_the_last_30_days_of_the_data(client, app, raw):
    key = next(k for k in app.callback_map if ids.CASES_TOTAL_TEXT in k)
    outputs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(cid) if cid.startswith("{") else cid,
                        "property": prop})
    response = client.post("/_dash-update-component", headers={"Origin": ORIGIN},
                           json={"output": key, "outputs": outputs, "changedPropIds": [],
                                 "state": [], "inputs": [{"id": ids.FILTER_URL,
                                                          "property": "search", "value": ""}]})
    assert response.status_code == 200, response.data[:300]
    total = json.loads(response.data)["response"][ids.CASES_TOTAL_TEXT]["children"]
    n = _reported(raw, date(2016, 6, 1), LAST_DAY)
    assert n > 0 and total == f"符合条件的事件 {n:,} 件"
    # the export of the same default view holds the same cases
    export = client.get("/export/cases.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) - 1 == n

