"""Time playback (态势回放, dashboard/playback.py): every frame against pandas over the raw
rows or against the KPI engine asked for that one window, the browser's payload, and the
callback's jurisdiction."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard import overview_data as od
from dashboard import playback as pb
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope
from layouts import overview as view

CITY = Scope("3206", "leader")
COUNTY = "320612"


@pytest.fixture(scope="module")
def incidents(demo) -> pd.DataFrame:
    return demo.execute("SELECT * FROM incidents").df()


def _day_window(day, days: int):
    start = datetime.combine(day - timedelta(days=days - 1), datetime.min.time())
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time())


@pytest.mark.parametrize("code, period", [("", "30d"), (COUNTY, "90d")])
def test_case_frames_are_seven_day_counts_of_the_raw_rows(demo, incidents, now, code, period):
    v = od.view(demo, CITY, code)
    kids = od.units(demo, v)
    got = pb.frames(demo, v, now, period, "incidents", kids)
    d0, d1 = od.period_days(now, period)
    assert got["days"][0] == d0 and got["days"][-1] == d1 and got["window"] == 7
    assert got["values"].shape == (len(kids), (d1 - d0).days + 1)
    for i in range(0, len(got["days"]), 6):
        start, end = _day_window(got["days"][i], 7)
        seen = incidents[(incidents["reported_at"] >= start) & (incidents["reported_at"] < end)]
        for u, short in enumerate(kids["short_code"]):
            want = int(seen["grid_code"].str.startswith(short).sum())
            assert got["values"][u, i] == want, (got["days"][i], short)


def test_rate_mean_and_stock_frames_equal_the_engine_for_that_window(demo, now):
    v = od.view(demo, CITY, COUNTY)
    kids = od.units(demo, v)
    for indicator, key in (("satisfaction", "satisfaction_rate"), ("handle", "avg_handle_hours"),
                           ("overdue", "overdue"), ("hazards", "open_hazards")):
        got = pb.frames(demo, v, now, "30d", indicator, kids)
        window = got["window"]
        assert window == (1 if indicator in ("overdue", "hazards") else 7)
        for i in (0, 13, len(got["days"]) - 1):
            day = got["days"][i]
            engine = kpis(demo, v.map_scope, day - timedelta(days=window - 1), day,
                          keys=[key], level=v.child_level)
            want = engine.set_index("region")["value"].reindex(kids["short_code"])
            for u, w in enumerate(want):
                if pd.isna(w) or (key in ("overdue", "open_hazards") and w == 0):
                    assert np.isnan(got["values"][u, i]) or got["values"][u, i] == 0
                else:
                    assert got["values"][u, i] == pytest.approx(w), (indicator, day)


def test_cards_are_the_regions_day_by_day(demo, incidents, now):
    v = od.view(demo, CITY, COUNTY)
    got = pb.frames(demo, v, now, "30d", "incidents", od.units(demo, v))
    cards = got["cards"]
    assert set(cards) == set(pb.CARD_KEYS)
    mine = incidents[incidents["grid_code"].str.startswith(COUNTY)]
    for i, day in enumerate(got["days"]):
        start, end = _day_window(day, 1)
        assert cards["reported"][i] == int(((mine["reported_at"] >= start)
                                              & (mine["reported_at"] < end)).sum())
    for i in (0, len(got["days"]) - 1):
        day = got["days"][i]
        one = kpis(demo, v.scope, day, day, keys=list(pb.CARD_KEYS)).set_index("key")["value"]
        for key in pb.CARD_KEYS:
            assert cards[key][i] == one[key], (key, day)


def test_hidden_key_person_units_are_blank_in_every_frame(demo, now):
    v = od.view(demo, CITY, "")
    kids = od.units(demo, v)
    hidden = {kids["short_code"].iloc[0]}
    got = pb.frames(demo, v, now, "7d", "key_persons", kids, hidden=hidden)
    assert np.isnan(got["values"][0]).all()
    assert not np.isnan(got["values"][1:]).all()


def test_the_payload_shows_rates_in_percent_with_classes_fixed_over_the_replay(demo, now):
    v = od.view(demo, CITY, "")
    kids = od.units(demo, v)
    raw = pb.frames(demo, v, now, "30d", "satisfaction", kids)
    out = view.playback_payload(raw, "satisfaction")
    finite = raw["values"][~np.isnan(raw["values"])]
    assert out["rawBreaks"] == view.class_breaks(list(finite))
    assert len(out["colors"]) == len(out["breaks"]) + 1
    assert out["days"][0] == raw["days"][0].isoformat() and out["unit"] == "%"
    for u, row in enumerate(out["values"]):
        for i, x in enumerate(row):
            r = raw["values"][u, i]
            assert (x is None) if np.isnan(r) else x == pytest.approx(100 * r, abs=1e-4)
    with pytest.raises(ValueError, match="indicator"):
        pb.frames(demo, v, now, "30d", "nonsense", kids)


@pytest.mark.parametrize("code", ["", COUNTY])
def test_hourly_frames_are_raw_counts_hour_by_hour(demo, incidents, now, code):
    """The hourly replay against pandas over the raw rows: each unit's reports of the 24
    hours ending with the frame's hour; the cards per hour (上报, 结案, 超期未结 and
    未整改隐患 at the hour's end, the registry's definitions at an hour)."""
    v = od.view(demo, CITY, code)
    kids = od.units(demo, v)
    got = pb.hourly_frames(demo, v, now, kids)
    start, end = pb.hour_span(now)
    assert got["days"][0] == start and len(got["days"]) == pb.HOURS == 72
    assert got["days"][-1] <= now < got["days"][-1] + timedelta(hours=1)
    assert got["values"].shape == (len(kids), 72) and got["step"] == "hour"
    rows = incidents[incidents["grid_code"].str.startswith(v.scope.prefix)]
    hazards = demo.execute("SELECT found_at, rectified_at, grid_code FROM hazards").df()
    hazards = hazards[hazards["grid_code"].str.startswith(v.scope.prefix)]
    live = rows[~rows["is_void"]]
    for i, hour in enumerate(got["days"]):
        e = pd.Timestamp(hour) + pd.Timedelta(hours=1)
        seen = rows[(rows["reported_at"] >= e - pd.Timedelta(hours=24))
                    & (rows["reported_at"] < e)]
        for u, short in enumerate(kids["short_code"]):
            assert got["values"][u, i] == int(seen["grid_code"].str.startswith(short).sum())
        in_hour = (rows["reported_at"] >= e - pd.Timedelta(hours=1)) & (rows["reported_at"] < e)
        closed = (live["closed_at"] >= e - pd.Timedelta(hours=1)) & (live["closed_at"] < e)
        overdue = (live["deadline_at"] < e) & (live["closed_at"].isna() | (live["closed_at"] >= e))
        open_h = (hazards["found_at"] < e) & (hazards["rectified_at"].isna()
                                              | (hazards["rectified_at"] >= e))
        assert [got["cards"][k][i] for k in pb.CARD_KEYS] == [
            in_hour.sum(), closed.sum(), overdue.sum(), open_h.sum()], hour
    assert sum(got["cards"]["reported"]) > 0


def test_the_last_day_of_hours_ends_as_the_daily_stock(demo, now):
    """At the last full hour of a day the hourly stocks equal the engine's day-end stocks."""
    v = od.view(demo, CITY, COUNTY)
    got = pb.hourly_frames(demo, v, now, od.units(demo, v))
    i = next(i for i, h in enumerate(got["days"]) if h.hour == 23)
    day = got["days"][i].date()
    daily = kpis(demo, v.scope, day, day, keys=["overdue", "open_hazards"]).set_index(
        "key")["value"]
    assert got["cards"]["overdue"][i] == daily["overdue"]
    assert got["cards"]["open_hazards"][i] == daily["open_hazards"]


def test_the_hourly_payload_names_its_hours(demo, now):
    v = od.view(demo, CITY, COUNTY)
    raw = pb.hourly_frames(demo, v, now, od.units(demo, v))
    out = view.playback_payload(raw, "incidents")
    assert out["step"] == "hour" and out["window"] == 24
    assert out["days"] == [h.strftime("%m-%d %H:00") for h in raw["days"]]
    assert "24小时" in out["note"] and out["cardLabels"]["reported"] == "该小时上报"
    assert out["cards"]["overdue"]["values"] == raw["cards"]["overdue"]
    day = view.playback_payload(pb.frames(demo, v, now, "7d", "incidents",
                                          od.units(demo, v)), "incidents")
    assert day["step"] == "day" and day["note"] == "" and day["cardLabels"] == {}
