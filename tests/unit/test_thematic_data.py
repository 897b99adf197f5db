"""The thematic pages' data (隐患, 重点人群, 时效, 满意度, 四级联动, 物联预警) against the same
rules written again in pandas over the raw rows, and against the KPI engine where a page
counts what a KPI counts."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard import access, periods, privacy
from dashboard import cases_data as cdata
from dashboard import thematic_data as td
from dashboard.callbacks.filterbar import apply_click, remove_chip
from dashboard.filters import Filters
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope
from queries import names as Q
from queries import run

CITY = Scope("3206", "leader")
COUNTY = "320612"


@pytest.fixture(scope="module")
def raw(demo) -> dict[str, pd.DataFrame]:
    tables = ("incidents", "hazards", "key_persons", "visits", "sensors", "sensor_alerts",
              "surveys", "escalations", "grids", "categories")
    out = {name: demo.execute(f"SELECT * FROM {name}").df() for name in tables}
    out["cases"] = out["incidents"].merge(
        out["categories"][["code", "major_code"]].rename(columns={"code": "category_code"}),
        on="category_code")
    return out


def year_of(query: str, now: datetime) -> Filters:
    """The filters of ``query`` with ``{year}`` as the 365 days up to ``now``: "this year"
    is nearly empty early in January, and the demo ends whenever it was built."""
    start = (now - pd.Timedelta(days=364)).date()
    return Filters.from_query(query.replace(
        "{year}", f"period=custom&from={start}&to={now.date()}"))


def bounds(filters: Filters, now: datetime):
    d0, d1 = filters.span(now.date())
    return pd.Timestamp(d0), pd.Timestamp(d1) + pd.Timedelta(days=1)


def in_scope(frame, filters: Filters, user=CITY, column="grid_code"):
    keep = frame[column].str.startswith(filters.scope(user).prefix)
    if filters.grids:
        keep &= frame[column].isin(filters.grids)
    return keep


def counts(frame: pd.DataFrame, key: str = "key", value: str = "n") -> dict:
    return {k: int(v) for k, v in zip(frame[key], frame[value], strict=True)}


def case_filter(raw, filters: Filters, now, start=None):
    """cases/filtered.sql in pandas; ``start`` overrides the period start."""
    c = raw["cases"]
    s, e = bounds(filters, now)
    s = s if start is None else pd.Timestamp(start)
    keep = in_scope(c, filters) & (c["reported_at"] >= s) & (c["reported_at"] < e)
    if filters.majors or filters.minors:
        keep &= c["major_code"].isin(filters.majors) | c["category_code"].isin(filters.minors)
    if filters.sources:
        keep &= c["source"].isin(filters.sources)
    if filters.statuses:
        keep &= c["status"].isin(filters.statuses)
    return c[keep]


# --- the filter state's new fields ------------------------------------------------------------


def test_domain_filters_round_trip_and_are_checked():
    f = Filters.from_query("?period=year&htype=消防,燃气&risk=重大&pcat=独居老人&stype=烟感")
    assert f.hazard_types == ("消防", "燃气") and f.risks == ("重大",)
    assert f.person_categories == ("独居老人",) and f.sensor_types == ("烟感",)
    assert Filters.from_query(f.to_query()) == f
    for bad in ("?htype=地震", "?risk=%25", "?pcat=x' OR 1=1", "?stype=烟感,核弹"):
        with pytest.raises(ValueError, match="unknown value"):
            Filters.from_query(bad)


def test_clicks_and_chips_of_the_domain_fields():
    f = apply_click(Filters(), "htype", "消防")
    assert f.hazard_types == ("消防",)
    assert apply_click(f, "htype", "消防").hazard_types == ()
    f = apply_click(apply_click(f, "risk", "重大"), "pcat", "独居老人")
    f = apply_click(f, "stype", "烟感")
    assert (f.risks, f.person_categories, f.sensor_types) == (("重大",), ("独居老人",),
                                                              ("烟感",))
    assert remove_chip(f, "risk", "重大").risks == ()
    # Many picked grids show as one chip, whose × clears them all.
    from layouts.filterbar import chips

    many = f.with_(grids=tuple(f"32061200100100{i}" for i in range(1, 8)))
    grid_chips = [c for c in chips(many, {}) if c.id["field"] in ("grid", "grids")]
    assert [c.id for c in grid_chips] == [
        {"type": "filter-chip-button", "field": "grids", "value": "*"}]
    assert "7" in grid_chips[0].children[0].children
    assert remove_chip(many, "grids", "*").grids == ()
    with pytest.raises(ValueError):
        apply_click(Filters(), "htype", "<script>")  # a forged key is refused, not kept
    # A point of a long (weekly) trend filters to its week; a reversed one is refused.
    week = apply_click(Filters(), "day", "2026-01-05/2026-01-11")
    assert (week.period, str(week.date_from), str(week.date_to)) == ("custom", "2026-01-05",
                                                                      "2026-01-11")
    with pytest.raises(ValueError):
        apply_click(Filters(), "day", "2026-01-11/2026-01-05")


def test_long_trends_are_weekly_and_complete():
    from layouts.analysis import every_day

    short = every_day(pd.DataFrame({"key": ["2026-01-03", "2026-01-06"], "n": [1, 2]}), ["n"])
    assert short["key"].tolist() == ["2026-01-03", "2026-01-04", "2026-01-05", "2026-01-06"]
    assert short["n"].tolist() == [1, 0, 0, 2] and short["span"].equals(short["key"])
    days = pd.date_range("2026-01-01", "2026-06-30", freq="D")
    frame = pd.DataFrame({"key": days.strftime("%Y-%m-%d"), "n": range(len(days))})
    weekly = every_day(frame.sample(frac=0.7, random_state=1).sort_values("key"), ["n"])
    assert weekly["span"].iloc[0] == "2026-01-01/2026-01-04"  # Thu..Sun, clipped
    assert weekly["span"].iloc[-1].endswith("/2026-06-30")
    firsts = pd.to_datetime(weekly["key"].iloc[1:])
    assert (firsts.dt.day_of_week == 0).all()  # weeks start on Monday


# --- 隐患 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["?{year}", "?{year}&region=320612&htype=消防,燃气",
                                   "?period=custom&from=2024-01-01&to=2026-12-31&risk=重大"])
def test_hazard_counts_match_pandas(demo, raw, now, query):
    filters = year_of(query, now)
    got = td.hazards(demo, CITY, filters, now)
    h = raw["hazards"]
    s, e = bounds(filters, now)
    keep = in_scope(h, filters) & (h["found_at"] >= s) & (h["found_at"] < e)
    keep &= h["found_at"] <= now
    if filters.hazard_types:
        keep &= h["type"].isin(filters.hazard_types)
    if filters.risks:
        keep &= h["risk_level"].isin(filters.risks)
    h = h[keep].copy()
    done = h["rectified_at"].notna() & (h["rectified_at"] <= now)
    h["state"] = np.where(done, np.where(h["rectified_at"] <= h["deadline_at"], "按期整改",
                                         "超期整改"),
                          np.where(h["deadline_at"] < now, "逾期未整改", "整改中"))
    assert len(h) > 0
    assert got["total"] == len(h)
    assert counts(got["type"]) == h.groupby("type").size().to_dict()
    assert counts(got["risk"]) == h.groupby("risk_level").size().to_dict()
    assert counts(got["state"]) == h.groupby("state").size().to_dict()
    unit_len = td.unit_length(demo, filters.scope(CITY))
    assert counts(got["unit"]) == h.groupby(h["grid_code"].str[:unit_len]).size().to_dict()
    assert counts(got["day"]) == h.groupby(h["found_at"].dt.date.astype(str)).size().to_dict()
    fixed = h[done]
    assert counts(got["rectified_day"]) == fixed.groupby(
        fixed["rectified_at"].dt.date.astype(str)).size().to_dict()
    late = h[h["state"] == "逾期未整改"].sort_values(["deadline_at", "id"])
    assert got["overdue_list"]["id"].tolist() == late["id"].head(12).tolist()


# --- 重点人群 ----------------------------------------------------------------------------------


def _persons_expected(raw, filters: Filters, now):
    p = raw["key_persons"]
    s, e = bounds(filters, now)
    keep = in_scope(p, filters) & (p["registered_at"] < e)
    keep &= p["removed_at"].isna() | (p["removed_at"] >= e)
    if filters.person_categories:
        keep &= p["category"].isin(filters.person_categories)
    p = p[keep]
    # Visits due in the period where they were due, of any person of the categories chosen
    # (listed at the end or not), as the registry's 走访率 counts them.
    v = raw["visits"].merge(raw["key_persons"][["id", "category"]], left_on="person_id",
                            right_on="id", suffixes=("", "_p"))
    keep = in_scope(v, filters) & (pd.to_datetime(v["due_date"]) >= s)
    keep &= pd.to_datetime(v["due_date"]) < e
    if filters.person_categories:
        keep &= v["category"].isin(filters.person_categories)
    v = v[keep].copy()
    day = v["visited_at"].dt.normalize()
    due = pd.to_datetime(v["due_date"])
    v["ontime"] = v["visited_at"].notna() & (day <= due)
    v["missed"] = v["visited_at"].isna() & (due < pd.Timestamp(now.date()))
    return p, v


@pytest.mark.parametrize("query", ["", "?{year}&region=320612&pcat=独居老人,残疾人"])
def test_person_counts_and_visits_match_pandas(demo, raw, now, query):
    filters = year_of(query, now)
    got = td.persons(demo, CITY, filters, now, cleared=True)
    p, v = _persons_expected(raw, filters, now)
    assert got["total"] == len(p) > 0
    assert counts(got["category"], value="persons") == p.groupby("category").size().to_dict()
    assert counts(got["category"], value="due") == v.groupby("category").size().to_dict()
    assert counts(got["category"], value="ontime") == v.groupby("category")["ontime"].sum() \
        .to_dict()
    assert got["missed"] == int(v["missed"].sum())
    unit_len = td.unit_length(demo, filters.scope(CITY))
    per_unit = p.groupby(p["grid_code"].str[:unit_len]).size()
    assert counts(got["unit"], value="persons") == per_unit.to_dict()
    g = raw["grids"]
    residents = g[g["code"].str.startswith(filters.scope(CITY).prefix)].groupby(
        g["code"].str[:unit_len])["population"].sum()
    for row in got["unit"].itertuples():
        assert row.per_10k == pytest.approx(per_unit[row.key] / residents[row.key] * 1e4)
    # The page's coverage is the registry's 走访率 when nothing but region and period is set.
    if not filters.person_categories:
        d0, d1 = filters.span(now.date())
        rate = kpis(demo, filters.scope(CITY), d0, d1, keys=["visit_rate"])["value"].iloc[0]
        assert got["ontime"] / got["due"] == pytest.approx(rate)


def test_small_person_counts_are_suppressed_without_clearance(demo, raw, now):
    village = raw["key_persons"]["grid_code"].str[:12].value_counts().index[-1]
    filters = Filters.from_query(f"?region={village}")
    hidden = td.persons(demo, CITY, filters, now, cleared=False)
    clear = td.persons(demo, CITY, filters, now, cleared=True)
    for name in ("unit", "unit_category", "category"):
        # Published cells come from the jurisdiction's protected table: every cell of the
        # unit × category frame, zeros included, is "<5" when its count is 0–4, "*" when it
        # hides a larger count for a smaller neighbour's sake, else the exact count.
        real = clear[name].set_index(["key", "key2"])["persons"]
        cells = hidden[name].set_index(["key", "key2"])["persons"]
        assert set(real.index) <= set(cells.index)
        for cell, shown in cells.items():
            count = int(real.get(cell, 0))
            if count < privacy.SMALL:
                assert shown == "<5", (cell, count, shown)
            else:
                assert shown == "*" or shown == count, (cell, count, shown)
    small = hidden["unit"][hidden["unit"]["persons"].astype(str) == "<5"]
    assert small["per_10k"].isna().all()  # a density would give the count back
    assert any(isinstance(n, str) for n in hidden["unit_category"]["persons"])


def test_person_list_needs_clearance_masks_and_audits(demo, raw, now):
    filters = Filters.from_query("?region=320612001")
    calls = []
    with pytest.raises(access.Forbidden):
        td.person_list(demo, CITY, filters, now, cleared=False,
                       audit=lambda *a: calls.append(a))
    assert calls == []
    rows = td.person_list(demo, CITY, filters, now, cleared=True,
                          audit=lambda *a: calls.append(a))
    assert rows and calls == [("list", "persons 320612001 (重点人群页)", [r["id"] for r in rows])]
    pii = demo.execute("SELECT * FROM key_person_pii").df().set_index("person_id")
    for r in rows:
        assert r["masked"] and r["grid_code"].startswith("320612001")
        assert r["phone"] != pii.at[r["id"], "phone"] and "****" in r["phone"]
        assert r["id_number"] != pii.at[r["id"], "id_number"]
    missed = [r["missed"] for r in rows]
    assert missed == sorted(missed, reverse=True)  # who was not visited comes first


# --- 时效 --------------------------------------------------------------------------------------


def expected_lights(live: pd.DataFrame, now) -> dict:
    """The 时效 page's lights in pandas: 未立案, 无时限 (registered, no
    deadline), then 按期办结 / 超期办结 / 超期 / 临期 (≥ 80 % of the limit used) / 正常."""
    registered = live["registered_at"].notna()
    limited = registered & live["deadline_at"].notna()
    reg = live[limited]
    closed = reg["closed_at"].notna() & (reg["closed_at"] <= now)
    used = (now - reg["registered_at"]) / (reg["deadline_at"] - reg["registered_at"])
    state = np.select(
        [closed & (reg["closed_at"] <= reg["deadline_at"]), closed, reg["deadline_at"] < now,
         used >= 0.8], ["按期办结", "超期办结", "超期", "临期"], "正常")
    expected = pd.Series(state).value_counts().to_dict()
    for name, n in (("未立案", (~registered).sum()), ("无时限", (registered & ~limited).sum())):
        if n:
            expected[name] = int(n)
    return expected


def near_quantile(got: float, values, q: float) -> bool:
    """The page's histogram quantile (``td.hist_quantile``) against pandas' exact one over
    the raw rows: within the documented bin error (docs/analysis.md)."""
    exact = float(pd.Series(values, dtype=float).quantile(q))
    return abs(got - exact) <= td.BIN_ERROR * abs(exact) + td.BIN_ABS + 1e-9


def assert_durations(got: pd.DataFrame, live: pd.DataFrame, now) -> None:
    """The page's duration table against pandas, with the registry's per-case definitions
    (response 上报→立案, handle 立案→处置, close 上报→结案)."""
    def hours(a, b):
        return (live[a] - live[b]).dt.total_seconds() / 3600

    closed = live["closed_at"] <= now
    expected = {
        "response": hours("registered_at", "reported_at")[live["registered_at"] <= now],
        "handle": hours("handled_at", "registered_at")[closed].dropna(),
        "close": hours("closed_at", "reported_at")[closed],
    }
    rows = got.set_index("key")
    assert set(rows.index) == {k for k, h in expected.items() if len(h)}
    for key, h in expected.items():
        if not len(h):
            continue
        row = rows.loc[key]
        assert row["n"] == len(h), key
        assert row["mean_hours"] == pytest.approx(h.mean()), key
        for q in (0.1, 0.25, 0.5, 0.75, 0.9):
            assert near_quantile(row[f"p{round(q * 100)}"], h, q), (key, q)


@pytest.mark.parametrize("query", ["?{year}&region=320612", "?{year}"])
def test_timeliness_matches_pandas(demo, raw, now, query):
    # a county reads its filtered cases, the whole city the period table timeliness_city
    filters = year_of(query, now)
    got = td.timeliness(demo, CITY, filters, now)
    c = case_filter(raw, filters, now)
    live = c[~c["is_void"]]
    columns = ["reported_at", "registered_at", "dispatched_at", "handled_at", "verified_at",
               "closed_at"]
    stages = got["stages"]
    assert stages["reached"].iloc[0] == len(c)
    for i in range(1, 6):
        reached = live[columns[i]].notna()
        assert stages["reached"].iloc[i] == reached.sum()
        hours = ((live[columns[i]] - live[columns[i - 1]]).dt.total_seconds() / 3600).dropna()
        assert near_quantile(stages["median_hours"].iloc[i], hours, 0.5)
        assert near_quantile(stages["p90_hours"].iloc[i], hours, 0.9)
        assert stages["mean_hours"].iloc[i] == pytest.approx(hours.mean())
    # Traffic lights by the 80/100 rule, now; registered cases without a limit apart.
    assert counts(got["light"]) == expected_lights(live, now)
    assert_durations(got["duration"], live, now)
    reg = live[live["registered_at"].notna() & live["deadline_at"].notna()]
    closed = reg["closed_at"].notna() & (reg["closed_at"] <= now)
    # Handling-hour distribution per tier.
    done = reg[closed & reg["handled_at"].notna()]
    hours = (done["handled_at"] - done["registered_at"]).dt.total_seconds() / 3600
    for row in got["tier"].itertuples():
        h = hours[done["tier"] == row.key]
        assert row.n == len(h)
        assert near_quantile(row.p50, h, 0.5) and near_quantile(row.p90, h, 0.9)
        assert row.mean_hours == pytest.approx(h.mean())
        assert row.ontime == (done[done["tier"] == row.key]["closed_at"]
                              <= done[done["tier"] == row.key]["deadline_at"]).sum()
    assert got["week"]["n"].sum() == len(done)


def _bins(hours) -> np.ndarray:
    """analysis/timeliness_rows.sql's bin of each value, in numpy."""
    return np.floor(100 * np.log10(np.maximum(np.asarray(hours, dtype=float), 0.001)))


@pytest.mark.parametrize("seed", range(6))
def test_histogram_quantiles_are_within_the_bin_error_of_pandas(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 3, 17, 1000, 50_000]))
    values = rng.lognormal(mean=rng.uniform(-3, 4), sigma=rng.uniform(0.2, 2.5), size=n)
    values[rng.random(n) < 0.05] = 0.0  # same-moment stages (0 hours) occur
    values = np.round(values * 3600) / 3600  # whole seconds, as the stored times
    b = pd.Series(_bins(values)).value_counts()
    qs = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
    got = td.hist_quantile(b.index, b.to_numpy(), qs)
    for q, g in zip(qs, got, strict=True):
        assert near_quantile(g, values, q), (n, q)
    assert td.BIN_ERROR == pytest.approx(0.011579, abs=1e-6)


@pytest.mark.parametrize("region", ["", "&region=320612"])
@pytest.mark.parametrize("query", ["?period=30d", "?period=today", "?{year}",
                                   "?period=custom&from=2024-01-15&to=2026-02-03",
                                   "?period=custom&from=2024-03-01&to=2024-03-31"])
def test_period_tables_give_the_filtered_cases_rows(demo, now, query, region):
    # one method: the read of timeliness_city / linkage_city (a whole city: the sum over
    # its counties; a county: its own rows) and the read of the period's cases give
    # identical rows (whole months from month rows, the rest from days)
    from queries import run

    filters = year_of(query + region, now)
    assert td.period_table_scope(filters.params(CITY, now.date()))
    p = filters.params(CITY, now.date())
    m0, m1 = periods.whole_months(p["start"], p["end"])
    key = ["facet", "key", "key2", "bin"]

    def same(a, b):
        a, b = (x.sort_values(key, ignore_index=True) for x in (a, b))
        pd.testing.assert_frame_equal(a.astype({"n": "int64"}), b.astype({"n": "int64"}),
                                      check_dtype=False)

    same(run(demo, Q.THEME_TIMELINESS_CITY, **p, m_start=m0, m_end=m1, now=now),
         run(demo, Q.THEME_TIMELINESS_CASES, **p, now=now))
    k = td._case_keys(CITY, filters, now)
    s, e = td._bounds(filters, now)
    city = run(demo, Q.THEME_LINKAGE_CITY, **k, p_start=s, p_end=e, m_start=m0, m_end=m1,
               now=now)
    # a period of weeks or more always has hand-offs; today's may have none yet in a
    # county (CI once ran at 01:30, and county 320612 had none): the rows must still agree
    assert len(city) > 0 or query == "?period=today"
    same(city, run(demo, Q.THEME_LINKAGE, **k, p_start=s, p_end=e, now=now))


def test_a_county_user_reads_only_its_county_rows(demo, raw, now):
    # jurisdiction in the data layer: a county leader's page reads the period tables'
    # rows of its county (not the city's sum), the same as the read of its cases
    from queries import run

    user = Scope(COUNTY, "leader")
    filters = year_of("?{year}", now)
    p = filters.params(user, now.date())
    assert p["prefix"] == COUNTY and td.period_table_scope(p)
    got = td.timeliness(demo, user, filters, now)
    mine = case_filter(raw, year_of(f"?{{year}}&region={COUNTY}", now), now)
    assert got["stages"]["reached"].iloc[0] == len(mine) > 0
    assert len(mine) < len(case_filter(raw, filters, now))
    cases = td._timeliness_frames(run(demo, Q.THEME_TIMELINESS_CASES, **p, now=now))
    for name, frame in got.items():
        pd.testing.assert_frame_equal(frame, cases[name], obj=name)
    link = td.linkage(demo, user, filters, now)
    k = td._case_keys(user, filters, now)
    s, e = td._bounds(filters, now)
    rows = run(demo, Q.THEME_LINKAGE, **k, p_start=s, p_end=e, now=now)
    assert link["final"]["n"].sum() == rows[rows["facet"] == "final"]["n"].sum() > 0
    assert link["final"]["n"].sum() < td.linkage(demo, CITY, filters, now)["final"]["n"].sum()


# --- 满意度 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["?{year}", "?{year}&region=320612&major=S01",
                                   "?period=30d&source=12345热线&status=已结案",
                                   "?period=30d", "?period=30d&region=320612",
                                   "?period=custom&from=2023-06-01&to=2028-05-01"])
def test_satisfaction_matches_pandas_and_the_engine(demo, raw, now, query):
    filters = year_of(query, now)
    got = td.satisfaction(demo, CITY, filters, now)
    c = case_filter(raw, filters, now, start="1970-01-01")
    s, e = bounds(filters, now)
    sv = raw["surveys"]
    sv = sv[sv["incident_id"].isin(c["id"]) & (sv["surveyed_at"] >= s)
            & (sv["surveyed_at"] < e)]
    assert got["surveys"] == len(sv) > 0
    assert got["rated"] == sv["rating"].notna().sum()
    assert got["satisfied"] == sv["rating"].isin(["满意", "基本满意"]).sum()
    assert counts(got["rating"], value="surveys") == sv["rating"].fillna("未参评") \
        .value_counts().to_dict()
    assert len(got["month"]) <= 12
    # per 大类 and handling band: surveys, and the mean 处置 − 立案 hours of their cases
    m = sv.merge(c, left_on="incident_id", right_on="id")
    m["hours"] = (m["handled_at"] - m["registered_at"]).dt.total_seconds() / 3600
    assert counts(got["major"], value="surveys") == m.groupby("major_code").size().to_dict()
    for row in got["major"].itertuples():
        want = m.loc[m["major_code"] == row.key, "hours"].mean()
        assert row.mean_hours == pytest.approx(want) if pd.notna(want) else \
            pd.isna(row.mean_hours)
    assert got["band"]["surveys"].sum() == len(sv)
    if not (filters.majors or filters.sources or filters.statuses):
        d0, d1 = filters.span(now.date())
        engine = kpis(demo, filters.scope(CITY), d0, d1,
                      keys=["satisfaction_rate", "rating_rate"]).set_index("key")["value"]
        assert got["satisfied"] / got["rated"] == pytest.approx(engine["satisfaction_rate"])
        assert got["rated"] / got["surveys"] == pytest.approx(engine["rating_rate"])


@pytest.mark.parametrize("query", ["?period=30d", "?{year}", "?period=month",
                                   "?period=30d&region=320612", "?{year}&region=320612",
                                   "?period=custom&from=2023-06-01&to=2028-05-01"])
def test_satisfaction_period_table_gives_the_rows_of_the_filtered_path(demo, raw, now,
                                                                        query):
    # a city or county without case filters reads satisfaction_city (migration 017): the
    # same rows, every facet, as survey_case_daily under the case filters; and the page's
    # unit, department and month figures against pandas over the raw surveys
    filters = year_of(query, now)
    params = td._case_keys(CITY, filters, now)
    assert td.period_table_scope(params)
    unit_len = td.unit_length(demo, filters.scope(CITY))
    assert unit_len in td.SATISFACTION_UNIT_LENGTHS
    s_start, s_end = td._bounds(filters, now)
    m0, m1 = periods.whole_months(s_start, s_end)
    table = run(demo, Q.THEME_SATISFACTION_CITY, prefix=params["prefix"], s_start=s_start,
                s_end=s_end, m_start=m0, m_end=m1, unit_len=unit_len)
    cases = run(demo, Q.THEME_SATISFACTION, **params, s_start=s_start, s_end=s_end,
                unit_len=unit_len)
    # "this month" on the 1st holds the hours since midnight: no survey at all at 00:20
    some = query != "?period=month" or now.day > 1
    assert len(cases) > 0 or not some
    pd.testing.assert_frame_equal(table.drop(columns="mean_hours"),
                                  cases.drop(columns="mean_hours"), check_dtype=False)
    np.testing.assert_allclose(table["mean_hours"].to_numpy(float),
                               cases["mean_hours"].to_numpy(float), rtol=1e-9)
    got = td.satisfaction(demo, CITY, filters, now)
    c = case_filter(raw, filters, now, start="1970-01-01")
    c = c.merge(raw["categories"][["code"]], left_on="category_code", right_on="code")
    sv = raw["surveys"]
    sv = sv[sv["incident_id"].isin(c["id"]) & (sv["surveyed_at"] >= s_start)
            & (sv["surveyed_at"] < s_end)]
    m = sv.merge(c, left_on="incident_id", right_on="id")
    units = m["grid_code"].str[:unit_len].value_counts().to_dict()
    shown = counts(got["unit"], value="surveys")
    assert shown == {k: v for k, v in units.items() if k in shown}
    assert len(shown) > 0 or not some
    depts = demo.execute("SELECT code, name FROM departments").df()
    names = m["dept_code"].map(dict(zip(depts["code"], depts["name"], strict=True)))
    assert counts(got["department"], value="surveys") == \
        names.fillna("（未指定）").value_counts().to_dict()
    first = pd.Timestamp(td.months_back((s_end - pd.Timedelta(days=1)).date(), 12))
    t = raw["surveys"][raw["surveys"]["incident_id"].isin(c["id"])
                       & (raw["surveys"]["surveyed_at"] >= first)
                       & (raw["surveys"]["surveyed_at"] < s_end)]
    want = t["surveyed_at"].dt.to_period("M").dt.start_time.dt.date.astype(str)
    assert counts(got["month"], value="surveys") == want.value_counts().to_dict()


# --- 四级联动 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["?{year}", "?period=30d&region=320612",
                                   "?{year}&major=S01&status=已结案,待结案",
                                   "?{year}&source=12345热线,网格员巡查"])
def test_linkage_matches_pandas_and_the_engine(demo, raw, now, query):
    filters = year_of(query, now)
    got = td.linkage(demo, CITY, filters, now)
    s, e = bounds(filters, now)
    c = case_filter(raw, filters, now, start="1970-01-01")
    esc = raw["escalations"]
    esc = esc[esc["incident_id"].isin(c["id"])]
    period = esc[(esc["escalated_at"] >= s) & (esc["escalated_at"] < e)]
    up = period[period["kind"] == "上报上级"]
    flows = {(a, b): int(n) for (a, b), n in up.groupby(["from_tier", "to_tier"]).size().items()}
    assert {(r.key, r.key2): int(r.n) for r in got["flow"].itertuples()} == flows
    assert got["transfer"]["n"].sum() == (period["kind"] == "转派").sum()
    d0, d1 = filters.span(now.date())
    engine = kpis(demo, filters.scope(CITY), d0, d1,
                  keys=["escalations_town", "escalations_county", "escalations_city",
                        "transfers"])
    engine = engine.set_index("key")["value"]
    narrowed = filters.majors or filters.statuses or filters.sources
    for tier in ("town", "county", "city"):
        if narrowed:  # the engine counts every case of the region
            break
        assert flows.get(("village" if tier == "town" else
                          {"county": "town", "city": "county"}[tier], tier), 0) == \
            engine[f"escalations_{tier}"]
    if not narrowed:
        assert got["transfer"]["n"].sum() == engine["transfers"]
    live = c[~c["is_void"]]
    openness = live["registered_at"].notna() & (live["registered_at"] <= now) & (
        live["closed_at"].isna() | (live["closed_at"] > now))
    assert counts(got["pending"]) == live[openness].groupby("tier").size().to_dict()
    closed = live[(live["closed_at"] >= s) & (live["closed_at"] < e)
                  & live["registered_at"].notna()]
    assert counts(got["final"]) == closed.groupby("tier").size().to_dict()
    # Dwell: per case, from arriving at a tier to leaving it, recomputed case by case.
    ups = esc[esc["kind"] == "上报上级"].groupby("incident_id")
    stays: dict[str, list[float]] = {}
    for case in closed.itertuples():
        arrivals = [("village", case.registered_at, 0)]
        if case.id in ups.groups:
            arrivals += [(r.to_tier, r.escalated_at, r.seq)
                         for r in ups.get_group(case.id).itertuples()]
        arrivals.sort(key=lambda a: (a[1], a[2]))
        ends = [a[1] for a in arrivals[1:]] + [case.closed_at]
        for (tier, at, _), end in zip(arrivals, ends, strict=True):
            stays.setdefault(tier, []).append((end - at).total_seconds() / 3600)
    assert set(got["dwell"]["key"]) == set(stays)
    for row in got["dwell"].itertuples():
        assert row.n == len(stays[row.key])
        assert row.mean_hours == pytest.approx(np.mean(stays[row.key]))
        assert near_quantile(row.median_hours, stays[row.key], 0.5)


# --- 物联预警 -----------------------------------------------------------------------------------


def test_iot_matches_pandas(demo, raw, now):
    filters = Filters.from_query("?period=30d&region=320612&stype=烟感,燃气")
    got = td.iot(demo, CITY, filters, now)
    s, e = bounds(filters, now)
    sn = raw["sensors"]
    sn = sn[in_scope(sn, filters) & (sn["installed_at"] < e) & sn["type"].isin(["烟感", "燃气"])]
    al = raw["sensor_alerts"]
    open_now = al[(al["alerted_at"] <= now) & (al["handled_at"].isna() | (al["handled_at"] > now))]
    alarming = sn[sn["id"].isin(open_now["sensor_id"])]
    assert counts(got["sensors"]) == sn.groupby("type").size().to_dict()
    assert counts(got["sensors"], value="alarming") == {
        t: int((alarming["type"] == t).sum()) for t in sn["type"].unique()}
    a = al[al["sensor_id"].isin(sn["id"]) & (al["alerted_at"] >= s) & (al["alerted_at"] < e)
           & (al["alerted_at"] <= now)].merge(sn[["id", "type"]], left_on="sensor_id",
                                               right_on="id")
    assert got["total"] == len(a) > 0
    assert counts(got["type"]) == a.groupby("type").size().to_dict()
    assert counts(got["level"]) == a.groupby("level").size().to_dict()
    handled = a[a["handled_at"].notna() & (a["handled_at"] <= now)]
    minutes = (handled["handled_at"] - handled["alerted_at"]).dt.total_seconds() / 60
    for row in got["type"].itertuples():
        m = minutes[handled["type"] == row.key]
        assert row.handled == len(m)
        assert row.median_minutes == pytest.approx(m.median())
    still = a[a["handled_at"].isna() | (a["handled_at"] > now)]
    assert set(got["open_list"]["id"]) <= set(still["id_x"])
    assert len(got["open_list"]) == min(12, len(still))


# --- 事件: repeated complaints and points ------------------------------------------------------


def test_repeat_places_match_pandas(demo, raw, now):
    filters = year_of("?{year}", now)
    got = td.repeat_places(demo, CITY, filters, now, min_cases=3, limit=1000)
    c = case_filter(raw, filters, now)
    c = c[~c["is_void"]]
    groups = c.groupby([c["grid_code"], c["category_code"], c["lon"].round(3),
                        c["lat"].round(3)]).size()
    # DuckDB rounds half away from zero, pandas half to even: compare the totals that do
    # not sit on a boundary.
    assert len(got) == pytest.approx((groups >= 3).sum(), abs=3)
    assert (got["n"] >= 3).all()
    assert got["n"].is_monotonic_decreasing


@pytest.mark.parametrize("query", ["?period=30d", "?{year}", "?{year}&region=320612",
                                   "?{year}&major=S01", "?{year}&status=已结案",
                                   "?{year}&source=12345热线,网格员巡查",
                                   "?period=custom&from=2023-06-01&to=2028-05-01"])
def test_repeat_places_from_their_table_are_those_of_the_filtered_cases(demo, raw, now,
                                                                         query):
    # min_cases >= 3 reads repeat_place_cases (migration 017): the same places, counts,
    # times and mean points as the period's filtered cases (theme/repeat_places.sql), and
    # the counts exactly those of pandas over the raw cases
    filters = year_of(query, now)
    p = filters.params(CITY, now.date())
    for min_cases, limit in ((3, 10**6), (4, 10**6), (3, 10), (3, 1), (4, 7), (3, 3)):
        # a small limit: only the places ranked into it are aggregated in full, and only
        # those whose cases in all reach the bound are read (theme/repeat_places_bound)
        table = td.repeat_places(demo, CITY, filters, now, min_cases=min_cases, limit=limit)
        cases = run(demo, Q.THEME_REPEAT_PLACES, **p, min_cases=min_cases, limit=limit)
        pd.testing.assert_frame_equal(table, cases, check_exact=False, rtol=1e-12)
        # without the bound (every place read): the same rows
        every = run(demo, Q.THEME_REPEAT_PLACES_TABLE, **p, min_cases=min_cases, limit=limit,
                    bound=0)
        pd.testing.assert_frame_equal(table, every, check_exact=False, rtol=1e-12)
    got = td.repeat_places(demo, CITY, filters, now, limit=10**6)
    pd.testing.assert_frame_equal(got, run(demo, Q.THEME_REPEAT_PLACES_TABLE, **p,
                                           min_cases=3, limit=10**6, bound=0))
    c = case_filter(raw, filters, now)
    c = c[~c["is_void"] & (c["point_quality"].fillna("") == "")]
    key = [c["grid_code"], c["category_code"],
           np.sign(c["lon"]) * np.floor(np.abs(c["lon"]) * 1000 + 0.5) / 1000,
           np.sign(c["lat"]) * np.floor(np.abs(c["lat"]) * 1000 + 0.5) / 1000]
    g = c.groupby(key).agg(n=("id", "size"), last=("reported_at", "max"),
                           open_n=("closed_at", lambda s: int(s.isna().sum())))
    g = g[g["n"] >= 3]
    assert len(got) == len(g) and sorted(got["n"]) == sorted(g["n"])
    assert got["open_n"].sum() == g["open_n"].sum()
    assert got["last_at"].max() == g["last"].max() if len(g) else True


@pytest.mark.parametrize("layer, query", [("incident", "?period=7d&region=320612"),
                                          ("hazard", "?{year}&risk=重大"),
                                          ("sensor", "?region=320612&stype=水位")])
def test_points_are_the_filtered_rows(demo, raw, now, layer, query):
    filters = year_of(query, now)
    got = td.points(demo, CITY, filters, now, layer)
    if layer == "incident":
        want = case_filter(raw, filters, now)
        want = want[~want["is_void"]]
    elif layer == "hazard":
        want = td.hazards(demo, CITY, filters, now)
        h = raw["hazards"]
        s, e = bounds(filters, now)
        want = h[(h["found_at"] >= s) & (h["found_at"] < e) & (h["found_at"] <= now)
                 & (h["risk_level"] == "重大")]
    else:
        sn = raw["sensors"]
        _, e = bounds(filters, now)
        want = sn[sn["grid_code"].str.startswith(COUNTY) & (sn["type"] == "水位")
                  & (sn["installed_at"] < e)]
    assert sorted(got["id"]) == sorted(want["id"])
    with pytest.raises(ValueError):
        td.points(demo, CITY, filters, now, "persons")


# --- box / lasso -------------------------------------------------------------------------------


def test_a_drawn_box_picks_the_grids_whose_point_is_inside(demo, raw):
    g = raw["grids"]
    village = g[g["code"].str.startswith("320612001")]["village_code"].iloc[0]
    mine = g[g["village_code"] == village]
    box = [[mine["lon"].min() - 1e-4, mine["lat"].min() - 1e-4],
           [mine["lon"].max() + 1e-4, mine["lat"].min() - 1e-4],
           [mine["lon"].max() + 1e-4, mine["lat"].max() + 1e-4],
           [mine["lon"].min() - 1e-4, mine["lat"].max() + 1e-4]]
    geometry = {"type": "Polygon", "coordinates": [[*box, box[0]]]}
    got = cdata.grids_in_shape(demo, Scope(COUNTY, "analyst"), geometry)
    polygon = shapely.geometry.shape(geometry)
    inside = g[g["code"].str.startswith(COUNTY)
               & shapely.contains_xy(polygon, g["lon"].to_numpy(), g["lat"].to_numpy())]
    assert got == sorted(inside["code"]) and set(mine["code"]) <= set(got)
    # A grid worker's box holds her grid only, whatever it covers.
    worker = Scope(mine["code"].iloc[0], "grid_worker")
    assert cdata.grids_in_shape(demo, worker, geometry) == [mine["code"].iloc[0]]


@pytest.mark.parametrize("geometry", [None, {"type": "Point", "coordinates": [120, 32]},
                                      {"type": "Polygon", "coordinates": "x"},
                                      {"type": "Polygon", "coordinates": [[[1, 2]] * 6000]},
                                      {"type": "Polygon", "coordinates": [[["a", "b"]]]}])
def test_bad_shapes_are_refused(demo, geometry):
    with pytest.raises(ValueError):
        cdata.grids_in_shape(demo, CITY, geometry)


def test_a_box_over_too_many_grids_says_so(demo):
    world = {"type": "Polygon", "coordinates": [[[100, 20], [130, 20], [130, 40], [100, 40],
                                                 [100, 20]]]}
    with pytest.raises(cdata.TooManyGrids) as err:
        cdata.grids_in_shape(demo, CITY, world)
    assert err.value.n > 200 and not math.isnan(err.value.n)
