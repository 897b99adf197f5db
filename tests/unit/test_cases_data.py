"""The analyst filter state and the workbench's data against pandas over the raw rows."""

from __future__ import annotations

from datetime import date
from urllib.parse import unquote

import pandas as pd
import pytest

from dashboard import access, periods
from dashboard import cases_data as data
from dashboard.callbacks.filterbar import apply_click, remove_chip
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from queries import names as Q

CITY = Scope("3206", "leader")


@pytest.fixture(scope="module")
def cases(demo) -> pd.DataFrame:
    return demo.execute(
        "SELECT i.*, c.major_code, c.code AS minor_code FROM incidents i "
        "JOIN categories c ON c.code = i.category_code").df()


def expected(cases: pd.DataFrame, filters: Filters, prefix: str, today: date) -> pd.DataFrame:
    """The filter semantics written again in pandas."""
    d0, d1 = filters.span(today)
    start = pd.Timestamp(d0)
    end = pd.Timestamp(d1) + pd.Timedelta(days=1)
    keep = cases["grid_code"].str.startswith(prefix)
    keep &= (cases["reported_at"] >= start) & (cases["reported_at"] < end)
    if filters.majors or filters.minors:
        keep &= cases["major_code"].isin(filters.majors) | cases["minor_code"].isin(filters.minors)
    if filters.sources:
        keep &= cases["source"].isin(filters.sources)
    if filters.statuses:
        keep &= cases["status"].isin(filters.statuses)
    if filters.grids:
        keep &= cases["grid_code"].isin(filters.grids)
    return cases[keep]


QUERIES = [
    "",
    "?period=7d",
    "?period=year&major=S01,S04",
    "?period=year&major=S01&minor=E0102&source=12345热线,网格员巡查",
    "?period=custom&from=2025-01-01&to=2025-03-31&region=320612&status=已结案",
    "?period=month&region=320612001",
]


# --- the filter state ---------------------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
def test_filters_round_trip_through_the_url(query):
    filters = Filters.from_query(query)
    assert Filters.from_query(filters.to_query()) == filters
    assert unquote(filters.to_query()) == query  # canonical order, defaults left out


@pytest.mark.parametrize("query, message", [
    ("?period=forever", "period"),
    ("?period=custom&from=2025-02-30&to=2025-03-01", "from/to"),
    ("?period=custom&from=2025-03-01&to=2025-02-01", "after"),
    ("?period=custom&from=2015-01-01&to=2025-01-01", "five years"),
    ("?region=3206%25", "region"),
    ("?region=' OR 1=1 --", "region"),
    ("?major=S1", "major"),
    ("?minor=S01011", "minor"),
    ("?source=微博", "source"),
    ("?status=closed", "status"),
    ("?grid=320612001001", "grid"),
    ("?grid=" + ",".join(f"{i:015d}" for i in range(201)), "at most"),
])
def test_bad_filters_are_refused_with_a_reason(query, message):
    with pytest.raises(ValueError, match=message):
        Filters.from_query(query)


def test_periods():
    today = date(2026, 3, 15)
    spans = {p: Filters(period=p).span(today) for p in ("today", "7d", "30d", "month",
                                                        "last_month", "year")}
    assert spans["today"] == (today, today)
    assert spans["7d"] == (date(2026, 3, 9), today)
    assert spans["30d"] == (date(2026, 2, 14), today)
    assert spans["month"] == (date(2026, 3, 1), today)
    assert spans["last_month"] == (date(2026, 2, 1), date(2026, 2, 28))
    assert spans["year"] == (date(2026, 1, 1), today)


@pytest.mark.parametrize("query", ["?region=320613", "?region=3206", "?region=320700000000",
                                   "?grid=320613001001001", "?region=320612&grid=320613001001001"])
def test_filters_outside_the_jurisdiction_are_forbidden(query):
    with pytest.raises(access.Forbidden):
        Filters.from_query(query).scope(Scope("320612", "analyst"))


def test_cross_filter_clicks_and_chips():
    f = Filters()
    f = apply_click(f, "major", "S01")
    assert f.majors == ("S01",)
    assert apply_click(f, "major", "S01").majors == ()  # a second click takes it back
    f = apply_click(f, "source", "12345热线")
    f = apply_click(f, "day", "2026-11-02")
    assert (f.period, f.date_from, f.date_to) == ("custom", date(2026, 11, 2), date(2026, 11, 2))
    assert remove_chip(f, "category", "S01").majors == ()
    assert remove_chip(f, "source", "12345热线").sources == ()
    with pytest.raises(ValueError):
        apply_click(f, "region; DROP", "x")


# --- the data against pandas -----------------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
def test_facets_count_what_pandas_counts(demo, cases, now, query):
    filters = Filters.from_query(query)
    facets = data.facets(demo, CITY, filters, now)
    rows = expected(cases, filters, filters.scope(CITY).prefix, now.date())
    assert facets["total"] == len(rows)
    got = dict(zip(facets["source"]["key"], facets["source"]["n"], strict=True))
    assert got == rows["source"].value_counts().to_dict()
    got = dict(zip(facets["major"]["key"], facets["major"]["n"], strict=True))
    assert got == rows["major_code"].value_counts().to_dict()
    got = dict(zip(facets["status"]["key"], facets["status"]["n"], strict=True))
    assert got == rows["status"].value_counts().to_dict()
    days = rows["reported_at"].dt.date.astype(str).value_counts().to_dict()
    assert dict(zip(facets["day"]["key"], facets["day"]["n"], strict=True)) == days
    unit_len = data.unit_length(demo, filters.scope(CITY).prefix)
    units = rows["grid_code"].str[:unit_len].value_counts().to_dict()
    assert dict(zip(facets["unit"]["key"], facets["unit"]["n"], strict=True)) == units


@pytest.mark.parametrize("query", ["?period=year", "?period=year&region=320612",
                                   "?period=custom&from=2024-02-10&to=2025-03-31",
                                   "?period=custom&from=2024-02-10&to=2025-03-31&region=320612",
                                   "?period=month", "?period=today"])
def test_facets_of_a_city_or_county_from_their_table(demo, cases, now, query):
    # a city or a county without case filters reads case_facets_city (migration 017): the
    # rows of cases/facets.sql over the period's cases, in the same order, and pandas' counts
    from dashboard import thematic_data as td
    from queries import run

    filters = Filters.from_query(query)
    params = filters.params(CITY, now.date())
    assert td.period_table_scope(params)
    unit_len = data.unit_length(demo, params["prefix"])
    m0, m1 = periods.whole_months(params["start"], params["end"])
    table = run(demo, Q.CASES_FACETS_CITY, prefix=params["prefix"], start=params["start"],
                end=params["end"], m_start=m0, m_end=m1, unit_len=unit_len)
    pd.testing.assert_frame_equal(table, run(demo, Q.CASES_FACETS, **params,
                                             unit_len=unit_len), check_dtype=False)
    test_facets_count_what_pandas_counts(demo, cases, now, query)


@pytest.mark.parametrize("sort", data.SORTABLE)
def test_pages_walk_the_sorted_filtered_set(demo, now, sort):
    filters = Filters.from_query("?period=30d&region=320612")
    everything = data.export(demo, CITY, filters, now)
    pages = [data.page(demo, CITY, filters, now, sort=sort, desc=True, number=n, size=50)
             for n in range(-(-len(everything) // 50))]
    ids = [i for p in pages for i in p["id"]]
    assert sorted(ids) == sorted(everything["id"])  # every row once, none twice
    assert all((p["total"] == len(everything)).all() for p in pages)  # the page count
    column = pd.concat(pages)[sort]
    values = column.dropna().tolist()
    assert values == sorted(values, reverse=True)
    assert column.isna().sum() == 0 or column.tail(column.isna().sum()).isna().all()


def test_export_is_exactly_the_filtered_set(demo, cases, now):
    filters = Filters.from_query("?period=year&major=S04&source=物联感知")
    frame = data.export(demo, CITY, filters, now)
    rows = expected(cases, filters, "3206", now.date())
    assert sorted(frame["id"]) == sorted(rows["id"])
    assert (frame["total"] == len(rows)).all()  # against pandas over the raw cases
    overdue = (~rows["is_void"] & rows["deadline_at"].notna()
               & (rows["closed_at"].fillna(pd.Timestamp(now)) > rows["deadline_at"]))
    assert frame.set_index("id")["overdue"].sort_index().tolist() == \
        overdue.set_axis(rows["id"]).sort_index().tolist()


def test_case_panel_data_and_jurisdiction(demo, now):
    case_id, grid = demo.execute(
        "SELECT id, grid_code FROM incidents WHERE escalations > 0 AND closed_at IS NOT NULL "
        "AND grid_code LIKE '320612%' ORDER BY id LIMIT 1").fetchone()
    detail = data.case(demo, CITY, int(case_id))
    assert detail["case"]["id"] == case_id
    stages = [s["stage"] for s in detail["stages"]]
    assert stages == ["上报", "立案", "派遣", "处置", "核查", "结案"]
    times = [s["at"] for s in detail["stages"] if s["at"] is not None]
    assert times == sorted(times)
    n_esc = demo.execute("SELECT count(*) FROM escalations WHERE incident_id = ?",
                         [case_id]).fetchone()[0]
    assert len(detail["escalations"]) == n_esc > 0
    # The same case is invisible from a sibling county: indistinguishable from no case.
    assert data.case(demo, Scope("320613", "analyst"), int(case_id)) is None
    assert data.case(demo, Scope(grid[:6], "analyst"), int(case_id)) is not None
    assert data.case(demo, CITY, 10**12) is None
    with pytest.raises(ValueError):
        data.case(demo, CITY, -1)


def test_region_search_stays_in_the_jurisdiction(demo):
    found = data.search_regions(demo, Scope("320612", "analyst"), "社区")
    assert len(found) and found["code"].str.startswith("320612").all()
    # Each hit says where it sits in the tree: the names of the units above it.
    names = dict(demo.execute("SELECT short_code, name FROM regions").fetchall())
    for row in found.itertuples():
        code = row.code[:12]
        above = [names[code[:n]] for n in (6, 9, 12) if n < len(row.code)]
        assert row.path == " · ".join(above)
    assert data.search_regions(demo, CITY, "").empty
    assert data.search_regions(demo, CITY, "%").empty  # a plain substring, not a pattern


def test_bad_page_requests(demo, now):
    with pytest.raises(ValueError):
        data.page(demo, CITY, Filters(), now, sort="id; DROP TABLE incidents")
    with pytest.raises(ValueError):
        data.page(demo, CITY, Filters(), now, size=10_000)
    with pytest.raises(ValueError):
        data.page(demo, CITY, Filters(), now, number=-1)


def test_grid_profile_sets_a_grid_beside_its_village_and_town(demo, now):
    from dashboard.kpi.engine import kpis

    grid = demo.execute("SELECT min(grid_code) FROM incidents WHERE grid_code LIKE '320612%'"
                        ).fetchone()[0]
    profile = data.grid_profile(demo, CITY, grid, now)
    assert profile["grid"]["code"] == grid and profile["grid"]["worker_name"]
    assert list(profile["kpis"].columns) == ["grid", "village", "town"]
    d0 = now.date() - pd.Timedelta(days=29)
    for column, code in (("grid", grid), ("village", grid[:12]), ("town", grid[:9])):
        engine = kpis(demo, Scope(code, "leader"), d0, now.date(), keys=list(data.PROFILE_KPIS))
        for key, value in engine.set_index("key")["value"].items():
            got = profile["kpis"].at[key, column]
            assert (pd.isna(got) and pd.isna(value)) or got == pytest.approx(value)
    assert len(profile["trend"]) == 12
    # Key-population counts: exact for cleared users, 1–4 suppressed for everyone else.
    listed = demo.execute(
        "SELECT category, count(*) FROM key_persons WHERE grid_code = ? AND removed_at IS NULL "
        "GROUP BY 1", [grid]).fetchall()
    cleared = data.grid_profile(demo, CITY, grid, now, cleared=True)["groups"]
    plain = profile["groups"]
    for category, n in listed:
        assert cleared[category] == n
        assert plain[category] == ("<5" if 0 < n < 5 else n)


def test_grid_profile_respects_the_jurisdiction(demo, now):
    grid = demo.execute("SELECT min(code) FROM grids WHERE code LIKE '320612%'").fetchone()[0]
    worker = Scope(grid, "grid_worker")
    profile = data.grid_profile(demo, worker, grid, now)
    assert list(profile["kpis"].columns) == ["grid"]  # not the village's or town's figures
    other = demo.execute("SELECT min(code) FROM grids WHERE code LIKE '320613%'").fetchone()[0]
    with pytest.raises(access.Forbidden):
        data.grid_profile(demo, Scope("320612", "analyst"), other, now)
    with pytest.raises(ValueError):
        data.grid_profile(demo, CITY, "320612", now)


def test_the_filter_block_is_written_once_and_included(tmp_path, monkeypatch):
    import queries

    block = queries.sql(Q.CASES_FILTERED)
    for name in (Q.CASES_FACETS, Q.CASES_PAGE):
        text = queries.sql(name)
        assert not queries._INCLUDE.search(text) and block in text
    # An include of a missing file is an error, not an empty filter.
    (tmp_path / "broken.sql").write_text("SELECT 1\n-- @include no_such_block\n")
    monkeypatch.setattr(queries, "SQL_DIR", tmp_path)
    queries.sql.cache_clear()
    try:
        with pytest.raises(KeyError):
            queries.sql("broken")
    finally:
        queries.sql.cache_clear()
