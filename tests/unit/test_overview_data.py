"""The overview's panels against the KPI engine and against pandas over the raw rows."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from plotly_json import plain

from dashboard import access
from dashboard import overview_data as od
from dashboard import periods as asof
from dashboard.i18n import MESSAGES, t
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope
from dashboard.kpi.targets import TARGETS, light
from layouts import overview as view

CITY = Scope("3206", "leader")
COUNTY = "320612"


@pytest.fixture(scope="module")
def raw(demo) -> dict[str, pd.DataFrame]:
    tables = ("incidents", "hazards", "sensor_alerts", "sensors", "grids", "regions",
              "key_persons", "surveys", "categories", "foresight_scores", "taxonomy")
    return {name: demo.execute(f"SELECT * FROM {name}").df() for name in tables}


@pytest.fixture(scope="module")
def village(demo) -> str:
    """A village of 通州区 with cases in the last 30 days."""
    return demo.execute(
        "SELECT left(grid_code, 12) FROM incidents WHERE grid_code LIKE '320612%' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]


# --- periods --------------------------------------------------------------------------


@pytest.mark.parametrize("today, mom, yoy", [
    (date(2026, 11, 23), (date(2026, 10, 1), date(2026, 10, 23)),
     (date(2025, 11, 1), date(2025, 11, 23))),
    (date(2024, 3, 31), (date(2024, 2, 1), date(2024, 2, 29)),
     (date(2023, 3, 1), date(2023, 3, 31))),
    (date(2026, 1, 5), (date(2025, 12, 1), date(2025, 12, 5)),
     (date(2025, 1, 1), date(2025, 1, 5))),
    (date(2024, 2, 29), (date(2024, 1, 1), date(2024, 1, 29)),
     (date(2023, 2, 1), date(2023, 2, 28))),
])
def test_month_spans_compare_the_same_days(today, mom, yoy):
    periods = asof.spans(today, "month")
    assert periods["current"] == (today.replace(day=1), today)
    assert periods["mom"] == mom
    assert periods["yoy"] == yoy


# --- view: drill path and jurisdiction -------------------------------------------------


def test_view_walks_down_to_a_grid(demo, village):
    grid = demo.execute("SELECT min(code) FROM grids WHERE village_code = ?",
                        [village]).fetchone()[0]
    path = ["", COUNTY, village[:9], village, grid]
    levels = ["city", "county", "town", "village", "grid"]
    for depth, (code, level) in enumerate(zip(path, levels, strict=True)):
        v = od.view(demo, CITY, code)
        assert v.region["level"] == level
        assert [c["level"] for c in v.crumbs] == levels[:depth + 1]
        assert v.child_level == levels[min(depth + 1, 4)]  # the demo has all five
    assert v.selected == grid
    assert v.map_parent == village  # a grid is shown among its village's grids
    assert v.map_scope.prefix == village
    (s, w), (n, e) = v.bounds
    assert 31 < s < n < 33 and 120 < w < e < 122


def test_view_crumbs_start_at_the_users_jurisdiction(demo, village):
    v = od.view(demo, Scope(COUNTY, "analyst"), village)
    assert [c["level"] for c in v.crumbs] == ["county", "town", "village"]


@pytest.mark.parametrize("code", ["320613", "3206", "320600000000", "320700000000",
                                  "320613001001001", "3207"])
def test_view_refuses_regions_outside_the_scope(demo, code):
    with pytest.raises(access.Forbidden):
        od.view(demo, Scope(COUNTY, "analyst"), code)


@pytest.mark.parametrize("code", ["3206%", "' OR 1=1 --", "32O6", "３２０６", "12345",
                                  "3206120010010011"])
def test_view_refuses_malformed_codes(demo, code):
    with pytest.raises(ValueError):
        od.view(demo, CITY, code)


def test_grid_worker_sees_only_their_grid(demo, village, now):
    grid = demo.execute("SELECT min(code) FROM grids WHERE village_code = ?",
                        [village]).fetchone()[0]
    worker = Scope(grid, "grid_worker")
    v = od.view(demo, worker, "")
    assert v.map_scope.prefix == grid
    kids = od.children(demo, v, now)
    assert list(kids["code"]) == [grid]  # never the neighbouring grids' figures
    with pytest.raises(access.Forbidden):
        od.view(demo, worker, village)


# --- map indicators --------------------------------------------------------------------


def test_children_match_pandas_and_the_engine(demo, raw, now):
    v = od.view(demo, CITY, "")
    kids = od.children(demo, v, now).set_index("short_code")
    d0, d1 = od.recent_days(now)
    start = datetime.combine(d0, datetime.min.time())
    end = datetime.combine(d1 + timedelta(days=1), datetime.min.time())
    inc = raw["incidents"]
    recent = inc[(inc["reported_at"] >= start) & (inc["reported_at"] < end)]
    per_county = recent["grid_code"].str[:6].value_counts()
    for short, row in kids.iterrows():
        assert row["incidents"] == per_county.get(short, 0)
    # Key persons per 10,000 residents: listed at the end of today over the population.
    kp = raw["key_persons"]
    listed = kp[(kp["registered_at"] < end) & ~(kp["removed_at"] < end)]
    counts = listed["grid_code"].str[:6].value_counts()
    pop = raw["regions"].set_index("short_code")["population"]
    for short, row in kids.iterrows():
        assert row["key_persons"] == pytest.approx(counts.get(short, 0) / pop[short] * 1e4)
    # The rest are the engine's values for each county.
    engine = kpis(demo, CITY, d0, d1, keys=["overdue", "satisfaction_rate", "open_hazards",
                                            "avg_handle_hours"], level="county")
    wide = engine.pivot(index="region", columns="key", values="value")
    for short, row in kids.iterrows():
        assert row["overdue"] == wide.at[short, "overdue"]
        assert row["hazards"] == wide.at[short, "open_hazards"]
        assert row["handle"] == pytest.approx(wide.at[short, "avg_handle_hours"])
        assert row["satisfaction"] == pytest.approx(wide.at[short, "satisfaction_rate"])


def test_village_level_draws_every_grid(demo, village, now):
    v = od.view(demo, CITY, village)
    kids = od.children(demo, v, now)
    grids = demo.execute("SELECT code FROM grids WHERE village_code = ? ORDER BY code",
                         [village]).df()
    assert list(kids["code"]) == list(grids["code"])
    assert (kids["incidents"] >= 0).all()


# --- cards and trends ------------------------------------------------------------------


@pytest.mark.parametrize("code, period", [("", "month"), (COUNTY, "month"), ("", "30d"),
                                          (COUNTY, "quarter")])
def test_cards_equal_the_engine(demo, raw, now, code, period):
    v = od.view(demo, CITY, code)
    cards = {c["key"]: c for c in od.cards(demo, v.scope, now, period=period)}
    assert list(cards) == list(od.CARD_KEYS)
    periods = asof.spans(now.date(), period)
    for base, field in (("current", "value"), ("mom", "mom"), ("yoy", "yoy")):
        engine = kpis(demo, v.scope, *periods[base], keys=list(od.CARD_KEYS[1:]))
        for key, value in engine.set_index("key")["value"].items():
            got = cards[key][field]
            assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value), key
    for key, card in cards.items():
        if key != "today":
            assert card["light"] == light(key, card["value"])
    # beside the mean handling time its median, beside 按期结案率 the share with a limit
    companions = kpis(demo, v.scope, *periods["current"],
                      keys=["median_handle_hours", "deadline_share"]).set_index("key")["value"]
    assert cards["avg_handle_hours"]["companion"]["kpi"] == "median_handle_hours"
    assert cards["ontime_rate"]["companion"]["kpi"] == "deadline_share"
    for key in ("avg_handle_hours", "ontime_rate"):
        got, want = cards[key]["companion"]["value"], companions[cards[key]["companion"]["kpi"]]
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want), key
    assert cards["reported"]["companion"] is None
    # 今日上报 against pandas: every report of today, void included (as 上报数).
    inc = raw["incidents"]
    today = now.date()
    mask = (inc["reported_at"].dt.date == today) & inc["grid_code"].str.startswith(v.scope.prefix)
    assert cards["today"]["value"] == mask.sum()


def test_trends_cover_twelve_months_from_the_engine(demo, now):
    trends = od.trends(demo, CITY, now)
    assert len(trends) == 12
    assert pd.Timestamp(trends["period"].iloc[-1]).date() == now.date().replace(day=1)
    first = pd.Timestamp(trends["period"].iloc[0]).date()
    engine = kpis(demo, CITY, first, now.date(), keys=["reported"])
    assert trends["reported"].sum() == engine["value"].iloc[0]


# --- alerts, feed, data age -------------------------------------------------------------


def _alert_expectation(raw, prefix, now):
    inc = raw["incidents"]
    inc = inc[inc["grid_code"].str.startswith(prefix)]
    # as of ``now``: open then (closed later or never), a deadline, registered by then
    open_ = (~inc["is_void"] & (inc["closed_at"].isna() | (inc["closed_at"] > now))
             & inc["deadline_at"].notna() & (inc["registered_at"] <= now))
    overdue = open_ & (inc["deadline_at"] < now)
    limit = inc["deadline_at"] - inc["registered_at"]
    due_soon = open_ & ~overdue & (now >= inc["registered_at"] + limit * 0.8)
    hz = raw["hazards"]
    hz = hz[hz["grid_code"].str.startswith(prefix)]
    major = ((hz["risk_level"] == "重大") & (hz["rectified_at"].isna() | (hz["rectified_at"] > now))
             & (hz["found_at"] <= now))
    al = raw["sensor_alerts"]
    al = al[al["grid_code"].str.startswith(prefix)]
    iot = (al["handled_at"].isna() | (al["handled_at"] > now)) & (al["alerted_at"] <= now)
    # 异常预警: stored surge alerts of the scope found by a run by ``now`` for a day at
    # most two days before it
    fs = raw["foresight_scores"]
    surge = ((fs["kind"] == "surge") & fs["grid_code"].str.startswith(prefix)
             & (fs["asof_at"] <= now)
             & (pd.to_datetime(fs["day"]) >= pd.Timestamp(now).normalize() - pd.Timedelta(days=2)))
    return {"overdue": int(overdue.sum()), "due_soon": int(due_soon.sum()),
            "major_hazard": int(major.sum()), "iot": int(iot.sum()),
            "surge": int(surge.sum())}, inc[overdue]


@pytest.mark.parametrize("level", ["city", "county"])
def test_alert_counts_follow_the_80_100_rule(demo, raw, now, level):
    # The demo ends at the moment it was built, so how many cases are overdue then depends
    # on the hour (none, some evenings): ask at 'now' when some are, else at the latest
    # moment a case was open past its deadline (found in the raw rows); at county level,
    # the county with the most overdue cases at that moment.
    prefix = "3206"
    at = now
    if _alert_expectation(raw, prefix, now)[1].empty:
        inc = raw["incidents"]
        after = inc["deadline_at"] + pd.Timedelta(minutes=1)
        late = (~inc["is_void"] & inc["deadline_at"].notna() & (inc["registered_at"] <= after)
                & (inc["closed_at"].isna() | (inc["closed_at"] > after)) & (after <= now))
        at = after[late].max().to_pydatetime()
    if level == "county":
        _, overdue = _alert_expectation(raw, prefix, at)
        prefix = overdue["grid_code"].str[:6].value_counts().index[0]
    counts, items = od.alerts(demo, Scope(prefix, "leader"), at, n=5)
    expected, overdue = _alert_expectation(raw, prefix, at)
    assert counts == expected
    assert sum(expected.values()) > 0
    # The most overdue cases come first.
    got = items[items["kind"] == "overdue"]["id"].tolist()
    want = overdue.sort_values(["deadline_at", "id"])["id"].head(5).tolist()
    assert got == want
    assert (items.groupby("kind").size() <= 5).all()


def test_feed_lists_the_newest_cases(demo, raw, now):
    feed = od.feed(demo, CITY, now, n=8)
    inc = raw["incidents"]
    recent = inc[(inc["reported_at"] <= now) & (inc["reported_at"] >= now - timedelta(days=7))]
    want = recent.sort_values(["reported_at", "id"], ascending=False)["id"].head(8).tolist()
    assert feed["id"].tolist() == want
    # No personal data columns ever reach the feed.
    assert not {"name", "phone", "id_number", "address"} & set(feed.columns)


def test_feed_rows_name_the_status_in_the_page_s_language(demo, now):
    from layouts.overview import feed_list

    feed = od.feed(demo, CITY, now, n=8)
    assert len(feed)
    english = {"已立案": "Registered", "处置中": "In hand", "已结案": "Closed",
               "待立案": "To register", "待核查": "To verify", "待结案": "To close",
               "已作废": "Void"}

    def shown(lang: str) -> list[str]:
        return [row.children[1].children[0].children[1].children
                for row in feed_list(feed, lang)]

    assert shown("zh") == feed["status"].tolist()
    assert shown("en") == [english[s] for s in feed["status"]]


def test_latest_and_critical(demo, raw, now):
    latest = od.latest(demo, now)
    candidates = [raw["incidents"]["reported_at"], raw["hazards"]["found_at"],
                  raw["sensor_alerts"]["alerted_at"], raw["surveys"]["surveyed_at"]]
    assert latest == max(c[c <= now].max() for c in candidates)
    crit = od.critical(demo, CITY, now)
    hz = raw["hazards"]
    al = raw["sensor_alerts"]
    times = list(hz[(hz["risk_level"] == "重大") & hz["rectified_at"].isna()
                    & (hz["found_at"] <= now)]["found_at"])
    times += list(al[(al["level"] == "严重") & al["handled_at"].isna()
                     & (al["alerted_at"] <= now)]["alerted_at"])
    if times:
        assert pd.Timestamp(crit["at"]) == max(times)
        assert crit["village_code"].startswith("3206") and len(crit["village_code"]) == 12
    else:
        assert crit is None


def test_league_ranks_the_children(demo, now):
    v = od.view(demo, CITY, "")
    league = od.league(demo, v, now)
    assert len(league) == 8
    ranked = league[league["ranked"]]
    assert list(ranked["rank"]) == sorted(ranked["rank"])
    assert set(league["grade"].dropna()) <= set("ABCDE")


@pytest.mark.parametrize("code", ["", COUNTY])
def test_panel_data_equals_the_panels_one_by_one(demo, now, code):
    """The panels callback reads everything in one batch of statements side by side
    (``panel_data``); it must equal each panel's own function, which the tests above hold
    to pandas."""
    v = od.view(demo, CITY, code)
    got = od.panel_data(demo, v.scope, CITY, now)
    assert got["cards"] == od.cards(demo, v.scope, now)
    pd.testing.assert_frame_equal(got["trends"], od.trends(demo, v.scope, now))
    counts, items = od.alerts(demo, v.scope, now)
    assert got["alerts"][0] == counts
    pd.testing.assert_frame_equal(got["alerts"][1], items)
    pd.testing.assert_frame_equal(got["feed"], od.feed(demo, v.scope, now))
    # the jurisdiction's critical alert: the newer of the hazards' and sensors' and of its
    # strongest surge alert (at some hours the session demo has one strong enough)
    assert got["critical"] == od.newest_critical(od.critical(demo, CITY, now),
                                                 od.surge_critical(demo, CITY, now))


def test_league_takes_the_map_units(demo, now):
    """The league with the map's units handed in (the page memo shares them) is the league
    that reads them itself."""
    v = od.view(demo, CITY, COUNTY)
    pd.testing.assert_frame_equal(od.league(demo, v, now, kids=od.units(demo, v)),
                                  od.league(demo, v, now))


# --- formatting ---------------------------------------------------------------------------


def test_format_change_reads_pp_for_rates_and_percent_for_counts():
    assert view.format_change(0.95, 0.90, "close_rate")["text"] == "▲ 5.0个百分点"
    assert view.format_change(0.95, 0.90, "close_rate", "en")["text"] == "▲ 5.0 pp"
    assert view.format_change(0.95, 0.90, "close_rate")["tone"] == "good"
    assert view.format_change(30.0, 24.0, "avg_handle_hours") == {
        "text": "▲ 25.0%", "direction": "up", "tone": "bad"}
    assert view.format_change(5.0, None, "reported")["direction"] == "none"
    assert view.format_change(5.0, 0.0, "reported")["direction"] == "up"
    assert view.format_change(0.0, 0.0, "reported")["direction"] == "flat"
    assert view.format_change(float("nan"), 0.5, "close_rate")["direction"] == "none"


def test_class_breaks_handle_rates_and_gaps():
    values = [0.91, 0.92, 0.935, 0.95, 0.97, float("nan")]
    breaks = view.class_breaks(values)
    assert breaks == sorted(set(breaks))
    assert all(0.91 < b <= 0.97 for b in breaks)
    assert view.class_breaks([3, 3, 3]) == []
    assert view.class_breaks([]) == []
    assert view.class_breaks([0, 5000]) and all(0 < b <= 5000 for b in view.class_breaks([0, 5000]))


def test_choropleth_keeps_no_data_apart(demo, now):
    v = od.view(demo, CITY, "")
    kids = od.children(demo, v, now)
    kids.loc[0, "satisfaction"] = np.nan
    hideout = view.choropleth(kids, "satisfaction")
    first = kids.loc[0, "code"]
    assert hideout["values"][first] is None
    assert hideout["labels"][first] == "–"
    # Higher satisfaction is better: the hottest colour goes to the lowest class.
    assert hideout["colors"][0] == view.theme.RAMP[-1]
    assert set(hideout["details"]) == set(kids["code"])


def test_trend_figure_says_no_data_and_counts_start_at_zero():
    months = pd.date_range("2026-01-01", periods=12, freq="MS")
    quiet = pd.DataFrame({"period": months, "reported": 0.0, "avg_handle_hours": np.nan,
                          "satisfaction_rate": np.nan})
    fig = view.trend_figure(quiet)
    notes = [a for a in fig.layout.annotations if a.text == t("map.no_data")]
    assert sorted((a.xref, a.yref, a.x, a.y) for a in notes) == [
        ("x2 domain", "y2 domain", 0.5, 0.5), ("x3 domain", "y3 domain", 0.5, 0.5)]
    assert fig.layout.yaxis.rangemode == "tozero"  # zero cases: 0…1, not −1…1
    assert fig.layout.yaxis2.showticklabels is False
    busy = quiet.assign(avg_handle_hours=12.0, satisfaction_rate=0.95)
    fig = view.trend_figure(busy)
    assert [a.text for a in fig.layout.annotations] == [
        t(f"trend.{k}") for k in view.TREND_KEYS]  # only the three subplot titles
    assert fig.layout.yaxis2.rangemode == "tozero" and fig.layout.yaxis3.rangemode is None


@pytest.mark.parametrize("minutes, text", [(5, "5分钟"), (150, "2小时"), (3 * 24 * 60, "3天")])
def test_format_age(minutes, text):
    assert view.format_age(minutes) == text


def test_every_message_has_both_languages():
    for key, (zh, en) in MESSAGES.items():
        assert zh and (en or key.startswith("unit.")), key
    assert t("ind.incidents", "en") == "Cases"
    assert t("ind.incidents", "fr") == "事件量"  # unknown languages fall back to Chinese
    for key in od.CARD_KEYS:
        assert f"card.{key}" in MESSAGES
    for key in od.INDICATORS:
        assert f"ind.{key}" in MESSAGES and f"unit.{key}" in MESSAGES
    for theme in od.THEMES:
        assert f"theme.{theme}" in MESSAGES


def test_targets_light_by_direction():
    assert set(TARGETS) <= {k.key for k in __import__("dashboard.kpi.registry",
                                                      fromlist=["KPIS"]).KPIS}
    assert light("close_rate", 0.96) == "green"
    assert light("close_rate", 0.92) == "yellow"
    assert light("close_rate", 0.5) == "red"
    assert light("avg_handle_hours", 20) == "green"
    assert light("avg_handle_hours", 30) == "yellow"
    assert light("avg_handle_hours", 60) == "red"
    assert light("reported", 10) is None
    assert light("close_rate", float("nan")) is None


def _trend_by_plotly(frame: pd.DataFrame, lang: str) -> dict:
    """The trend figure built the slow way, through plotly's subplot and update calls (the
    construction trend_figure_json replaced), as plotly JSON: the reference."""
    import json

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    keys = view.TREND_KEYS
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=[t(f"trend.{k}", lang) for k in keys])
    months = [pd.Timestamp(p).strftime("%y.%m") for p in frame["period"]]
    scale = {"reported": 1, "avg_handle_hours": 1, "satisfaction_rate": 100}
    for row, key in enumerate(keys, start=1):
        y = frame[key].astype(float) * scale[key]
        color = view.theme.SERIES[row - 1]
        if key == "reported":
            trace = go.Bar(x=months, y=y, marker_color=color, name=t(f"trend.{key}", lang),
                           hovertemplate="%{x}: %{y:,.0f}<extra></extra>")
        else:
            trace = go.Scatter(x=months, y=y, mode="lines+markers", name=t(f"trend.{key}", lang),
                               line={"color": color, "width": 2.5}, marker={"size": 6},
                               connectgaps=False, hovertemplate="%{x}: %{y:.1f}<extra></extra>")
        fig.add_trace(trace, row=row, col=1)
    fig.update_layout(template=view.theme.TEMPLATE, showlegend=False,
                      margin={"l": 46, "r": 10, "t": 22, "b": 22}, bargap=0.35)
    fig.update_annotations(font={"size": 13, "color": view.theme.MUTED}, x=0, xanchor="left")
    fig.update_yaxes(nticks=4)
    for row, key in enumerate(keys, start=1):
        if frame[key].isna().all():
            fig.add_annotation(text=t("map.no_data", lang), xref="x domain", yref="y domain",
                               x=0.5, y=0.5, showarrow=False,
                               font={"size": 13, "color": view.theme.MUTED}, row=row, col=1)
            fig.update_yaxes(showticklabels=False, showgrid=False, row=row, col=1)
        elif key != "satisfaction_rate":
            fig.update_yaxes(rangemode="tozero", row=row, col=1)
    fig.update_xaxes(type="category", tickangle=0, nticks=6)
    return json.loads(fig.to_json())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trend_json_equals_the_figure_plotly_builds(lang):
    import json

    import plotly.io as pio

    months = pd.date_range("2025-12-01", periods=12, freq="MS")
    busy = pd.DataFrame({"period": months, "reported": np.arange(12) * 10.0,
                         "avg_handle_hours": np.linspace(5, 30, 12),
                         "satisfaction_rate": np.linspace(0.7, 0.95, 12)})
    busy.loc[3, "avg_handle_hours"] = np.nan  # a gap in a line
    quiet = busy.assign(reported=0.0, avg_handle_hours=np.nan, satisfaction_rate=np.nan)
    for frame in (busy, quiet, busy.head(1)):
        # through the JSON encoder Dash uses, both sides compared as plain values
        got = json.loads(pio.to_json(view.trend_figure_json(frame, lang)))
        assert got == plain(_trend_by_plotly(frame, lang))


def test_in_english_the_alert_titles_are_english_where_the_store_names_them(demo, raw, now):
    """The English alert list (overview): an overdue or due-soon case's title is its 小类's
    English name (categories.name_en, found from the case's own category code here), a major
    hazard's its type's (taxonomy hazard_type) + ' hazard', a sensor alert's its type's
    catalogue name + ' alarm'; where the store has no English name, the stored name. Both
    paths: the live screen (open_items, one statement) and a past moment (raw tables)."""
    import re

    from dashboard import open_items

    cjk = re.compile(r"[\u4e00-\u9fff]")
    inc = raw["incidents"].set_index("case_no")
    cats = raw["categories"].set_index("code")
    htype = raw["taxonomy"].query("field == 'hazard_type'").set_index("code")["name_en"]
    hz = raw["hazards"].set_index("hazard_no")
    stype = raw["sensors"].set_index("code")["type"]

    def want(kind, ref, title):
        if kind in ("overdue", "due_soon"):
            cat = cats.loc[inc.loc[ref, "category_code"]]
            return cat["minor_name"] if pd.isna(cat["name_en"]) else cat["name_en"]
        if kind == "major_hazard":
            en = htype.get(hz.loc[ref, "type"])
            return title if en is None or pd.isna(en) else f"{en} hazard"
        if kind == "iot":
            found = MESSAGES.get(f"value.stype.{stype[ref]}")
            return f"{found[1]} alarm" if found else title
        return None

    before = open_items.valid_from(demo) - timedelta(days=3, hours=7)
    # and a moment at which a case is overdue, found in the raw rows (the two moments above
    # may have none: it depends on the hour the session demo was built)
    i = raw["incidents"]
    late = i[~i["is_void"] & i["registered_at"].notna() & i["deadline_at"].notna()
             & (i["closed_at"].isna() | (i["closed_at"] > i["deadline_at"] + timedelta(hours=2)))
             & (i["deadline_at"] + timedelta(hours=1) <= now)]
    moments = [now, before] + ([late["deadline_at"].max() + timedelta(hours=1)]
                               if len(late) else [])
    seen = set()
    for moment in moments:
        _, items = od.alerts(demo, CITY, moment, n=50)
        shown = view.alert_list(items, "en", limit=len(items))
        zh = {getattr(li, "data-ref"): li.children[1].children[0].children
              for li in view.alert_list(items, "zh", limit=len(items))}
        for li in shown:
            kind = li.className.split()[1].removeprefix("gc-alert-")
            ref = getattr(li, "data-ref")
            title = li.children[1].children[0].children
            expected = want(kind, ref, zh[ref])
            if expected is not None:
                assert title == expected, (kind, ref, title)
                seen.add(kind)
                if kind in ("overdue", "due_soon"):
                    assert not cjk.search(title), title  # the demo names every 小类
    assert {"overdue", "iot"} <= seen, seen


def test_alert_list_orders_by_severity():
    """Critical items first (major hazards, 严重 sensor alerts, critical surges; the kinds
    take turns), then overdue, then due-soon cases, then the rest (surges and sensor alerts
    not critical, at-risk cases, kinds taking turns); each kind in its given order. Six
    overdue cases do not push a critical surge out of the first rows."""
    kinds = [("due_soon", False), ("iot", False), ("iot", True), ("overdue", False),
             ("major_hazard", True), ("at_risk", False), ("overdue", False),
             ("due_soon", False), ("surge", True), ("surge", False), ("major_hazard", True)]
    items = pd.DataFrame({
        "kind": [k for k, _ in kinds], "critical": [c for _, c in kinds],
        "title": [f"t{i}" for i in range(len(kinds))], "ref": "r",
        "village": "村", "village_code": "320612001001",
        "at": pd.Timestamp("2026-12-01 08:00")})

    def titles(out):
        return [li.children[1].children[0].children for li in out]

    assert titles(view.alert_list(items, "zh", limit=11)) == [
        "t4", "t8", "t2", "t10", "t3", "t6", "t0", "t7", "t9", "t1", "t5"]
    assert titles(view.alert_list(items, "zh", limit=3)) == ["t4", "t8", "t2"]
    # a critical surge behind six overdue cases: it comes first
    many = pd.DataFrame({
        "kind": ["overdue"] * 6 + ["due_soon", "surge", "surge"],
        "critical": [False] * 7 + [True, False],
        "title": [f"o{i}" for i in range(6)] + ["d", "s_crit", "s"], "ref": "r",
        "village": "村", "village_code": "320612001001",
        "at": pd.Timestamp("2026-12-01 08:00")})
    assert titles(view.alert_list(many, "zh", limit=7)) == [
        "s_crit", "o0", "o1", "o2", "o3", "o4", "o5"]
    # the order is decided in one place: the severity tiers of the data layer
    assert [od.severity(r) for r in many.to_dict("records")] == [1] * 6 + [2, 0, 3]
    assert view.alert_list(items.iloc[:0], "zh")[0].className == "gc-empty"
