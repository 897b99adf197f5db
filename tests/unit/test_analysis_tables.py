"""The analysis pages' read tables (migration 009: handoff_daily, closure_stays,
survey_case_daily): equal to pandas over the raw rows, kept equal to a full refill by the
import paths (key-wise and additive), and created and filled by ``gridcmd migrate``."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.summaries import (
    ANALYSIS_TABLES,
    FACET_TABLES,
    PERIOD_TABLES,
    RANK_TABLES,
    REPEAT_TABLES,
    SATISFACTION_TABLES,
    refresh_summaries,
)
from dashboard.store import migrations
from queries import names as Q
from tests.unit.ingest_helpers import (
    connect,
    copy_store,
    incident_rows,
    migrate_from,
    summary_checksums,
    table_checksum,
    table_frame,
)
from tests.unit.ranks_helpers import check_rank_tables

KEYS = ["grid_code", "category_code", "source", "status"]


def _raw(con) -> dict[str, pd.DataFrame]:
    return {t: con.execute(f"SELECT * FROM {t}").df()
            for t in ("incidents", "escalations", "surveys")}


def _sorted(frame: pd.DataFrame, columns) -> pd.DataFrame:
    frame = frame[list(columns)].copy()
    for c in ("rating", "dept_code", "from_dept", "to_dept"):  # nullable codes
        if c in frame.columns:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), "<NULL>")
    return frame.sort_values(list(columns), ignore_index=True)


def _expected_handoffs(raw) -> pd.DataFrame:
    e = raw["escalations"].merge(raw["incidents"][["id", *KEYS]], left_on="incident_id",
                                 right_on="id")
    e["day"] = e["escalated_at"].dt.date
    cols = ["day", *KEYS, "kind", "from_tier", "to_tier", "from_dept", "to_dept"]
    return e.fillna({"from_dept": "<NULL>", "to_dept": "<NULL>"}).groupby(cols).size() \
        .rename("n").reset_index()


def _expected_stays(raw) -> pd.DataFrame:
    i = raw["incidents"]
    closed = i[~i["is_void"] & i["closed_at"].notna() & i["registered_at"].notna()]
    ups = raw["escalations"][raw["escalations"]["kind"] == "上报上级"].groupby("incident_id")
    rows = []
    for case in closed.itertuples():
        arrivals = [("village", case.registered_at, 0)]
        if case.id in ups.groups:
            arrivals += [(r.to_tier, r.escalated_at, r.seq)
                         for r in ups.get_group(case.id).itertuples()]
        arrivals.sort(key=lambda a: (a[1], a[2]))
        ends = [a[1] for a in arrivals[1:]] + [case.closed_at]
        for (tier, at, seq), end in zip(arrivals, ends, strict=True):
            rows.append((case.closed_at.date(), case.grid_code, case.category_code,
                         case.source, case.status, case.tier, tier, seq == 0,
                         round((end - at).total_seconds() / 3600, 6)))
    return pd.DataFrame(rows, columns=["day", *KEYS, "final_tier", "tier", "first", "hours"])


def _band(hours: float) -> str:
    if pd.isna(hours):
        return "未处置"
    for bound, name in ((4, "1. 4小时内"), (24, "2. 4–24小时"), (72, "3. 1–3天"),
                        (168, "4. 3–7天")):
        if hours < bound:
            return name
    return "5. 7天以上"


def _expected_surveys(raw) -> pd.DataFrame:
    s = raw["surveys"].merge(raw["incidents"], left_on="incident_id", right_on="id")
    s["day"] = s["surveyed_at"].dt.date
    s["hours"] = (s["handled_at"] - s["registered_at"]).dt.total_seconds() / 3600
    s["band"] = s["hours"].map(_band)
    s["rating"] = s["rating"].fillna("<NULL>")
    s["dept_code"] = s["dept_code"].fillna("<NULL>")
    g = s.groupby(["day", *KEYS, "dept_code", "rating", "band"])
    out = g.agg(surveys=("hours", "size"), hours_sum=("hours", "sum"),
                hours_n=("hours", "count")).reset_index()
    out["hours_sum"] = out["hours_sum"].round(6)
    return out


def _check_against_pandas(con) -> None:
    raw = _raw(con)
    got = con.execute("SELECT * FROM handoff_daily").df()
    got["day"] = got["day"].dt.date
    want = _expected_handoffs(raw)
    assert len(want) > 0
    cols = list(want.columns)
    pd.testing.assert_frame_equal(_sorted(got, cols), _sorted(want, cols), check_dtype=False)

    got = con.execute("SELECT * FROM closure_stays").df()
    got["day"] = got["day"].dt.date
    got["hours"] = got["hours"].round(6)
    want = _expected_stays(raw)
    assert want["first"].sum() > 0 and (~want["first"]).sum() > 0  # escalated cases too
    cols = list(want.columns)
    pd.testing.assert_frame_equal(_sorted(got, cols), _sorted(want, cols), check_dtype=False)

    got = con.execute("SELECT * FROM survey_case_daily").df()
    got["day"] = got["day"].dt.date
    got["hours_sum"] = got["hours_sum"].round(6)
    want = _expected_surveys(raw)
    assert len(want) > 0
    cols = list(want.columns)
    pd.testing.assert_frame_equal(_sorted(got, cols), _sorted(want, cols), check_dtype=False,
                                  rtol=1e-9)


def _expected_satisfaction_city(con) -> pd.DataFrame:
    """satisfaction_city in pandas over the raw surveys, cases and categories: per survey
    day (and month) and county, the follow-ups under each value of each facet."""
    raw = _raw(con)
    cats = con.execute("SELECT code FROM categories").df()["code"]
    s = raw["surveys"].merge(raw["incidents"], left_on="incident_id", right_on="id")
    s = s[s["category_code"].isin(cats)].copy()
    s["day"] = s["surveyed_at"].dt.date
    s["county"] = s["grid_code"].str[:6]
    s["hours"] = (s["handled_at"] - s["registered_at"]).dt.total_seconds() / 3600
    s["category"], s["town"] = s["category_code"], s["grid_code"].str[:9]
    s["department"] = s["dept_code"]
    s["band"] = s["hours"].map(_band)
    s["rated"] = s["rating"].notna().astype(int)
    s["satisfied"] = s["rating"].isin(["满意", "基本满意"]).astype(int)
    s["unsatisfied"] = (s["rating"] == "不满意").astype(int)
    s["one"] = 1
    parts = []
    for facet in ("category", "department", "town", "band", "rating"):
        g = s.assign(key=s[facet].astype(object).where(s[facet].notna(), "<NULL>"))
        for span, day in (("day", g["day"]), ("month", g["day"].map(lambda d: d.replace(day=1)))):
            out = g.assign(day=day).groupby(["day", "county", "key"]).agg(
                surveys=("one", "sum"), rated=("rated", "sum"), satisfied=("satisfied", "sum"),
                unsatisfied=("unsatisfied", "sum"), hours_sum=("hours", "sum"),
                hours_n=("hours", "count")).reset_index()
            parts.append(out.assign(span=span, facet=facet))
    want = pd.concat(parts, ignore_index=True)
    want["hours_sum"] = want["hours_sum"].round(6)
    return want


def _check_satisfaction_city(con) -> None:
    got = con.execute("SELECT * FROM satisfaction_city").df()
    got["day"] = got["day"].dt.date
    got["key"] = got["key"].astype(object).where(got["key"].notna(), "<NULL>")
    got["hours_sum"] = got["hours_sum"].round(6)
    want = _expected_satisfaction_city(con)
    assert len(want) > 0 and set(want["facet"]) == set(got["facet"])
    cols = ["span", "day", "county", "facet", "key", "surveys", "rated", "satisfied",
            "unsatisfied", "hours_sum", "hours_n"]
    pd.testing.assert_frame_equal(_sorted(got, cols), _sorted(want, cols), check_dtype=False,
                                  rtol=1e-9)


def _check_case_facets_city(con) -> None:
    # per report day (and month) and county, the cases (whose 小类 is known) under each
    # 小类, source, status and town, and per day, in pandas over the raw cases
    i = con.execute("SELECT * FROM incidents").df()
    cats = con.execute("SELECT code FROM categories").df()["code"]
    i = i[i["category_code"].isin(cats)].copy()
    i["day"] = i["reported_at"].dt.date
    i["county"], i["town"], i["category"] = i["grid_code"].str[:6], i["grid_code"].str[:9], \
        i["category_code"]
    i["all"] = ""
    parts = []
    for facet, col in (("category", "category"), ("source", "source"),
                       ("status", "status"), ("town", "town"), ("day", "all")):
        for span, day in (("day", i["day"]), ("month", i["day"].map(lambda d: d.replace(day=1)))):
            g = i.assign(day=day, key=i[col]).groupby(["day", "county", "key"]).size()
            parts.append(g.rename("n").reset_index().assign(span=span, facet=facet))
    want = pd.concat(parts, ignore_index=True)
    got = con.execute("SELECT * FROM case_facets_city").df()
    got["day"] = got["day"].dt.date
    assert len(want) > 0
    cols = ["span", "day", "county", "facet", "key", "n"]
    pd.testing.assert_frame_equal(_sorted(got, cols), _sorted(want, cols), check_dtype=False)


def _round3(x: pd.Series) -> pd.Series:
    """DuckDB's round(x, 3) on doubles: half away from zero."""
    return np.sign(x) * np.floor(np.abs(x) * 1000 + 0.5) / 1000


def _check_repeat_place_cases(con, nonempty: bool = True) -> None:
    # every non-void case with its own point whose place (grid, 小类, 0.001° point) has
    # three such cases or more, in pandas over the raw cases
    i = con.execute("SELECT * FROM incidents").df()
    c = i[~i["is_void"] & (i["point_quality"].fillna("") == "")].copy()
    c["lon3"], c["lat3"] = _round3(c["lon"]), _round3(c["lat"])
    size = c.groupby(["grid_code", "category_code", "lon3", "lat3"])["id"].transform("size")
    want = c[size >= 3].copy()
    want["place"] = want.groupby(["grid_code", "category_code", "lon3", "lat3"])["id"] \
        .transform("min")
    want["place_n"] = size[size >= 3]
    got = con.execute("SELECT * FROM repeat_place_cases").df()
    assert len(want) > 0 or not nonempty
    cols = list(got.columns)
    pd.testing.assert_frame_equal(_sorted(got, cols), _sorted(want[cols], cols),
                                  check_dtype=False)


def _check_open_cases(con) -> None:
    i = con.execute("SELECT * FROM incidents").df()
    want = i[~i["is_void"] & i["registered_at"].notna() & i["closed_at"].isna()]
    got = con.execute("SELECT * FROM open_case_keys").df()
    assert len(want) > 0
    assert sorted(got["id"]) == sorted(want["id"])
    cols = list(got.columns)
    pd.testing.assert_frame_equal(_sorted(got, cols), _sorted(want[cols], cols),
                                  check_dtype=False)


def test_read_tables_equal_pandas_over_raw_rows(ingest_store):
    con = duckdb.connect(str(ingest_store), read_only=True)
    try:
        _check_against_pandas(con)
        _check_open_cases(con)
        _check_satisfaction_city(con)
        _check_repeat_place_cases(con, nonempty=False)  # this small store has none
        _check_case_facets_city(con)
    finally:
        con.close()


def test_import_batches_keep_them_equal_to_a_full_refill(ingest_store, tmp_path):
    # a case batch that moves, closes and re-categorises escalated cases (key-wise path),
    # one of new cases only (additive path, some closed), and a survey batch (key-wise;
    # surveys of the cases closed later by the first batch are quarantined)
    con = connect(copy_store(ingest_store, tmp_path))
    m = Mapping.identity("incidents")
    old = con.execute("SELECT case_no, source, category_code, lon, lat, reported_at, "
                      "registered_at, closed_at FROM incidents WHERE NOT is_void "
                      "AND escalations > 0 ORDER BY id LIMIT 40").df()
    grids = con.execute("SELECT lon, lat FROM grids ORDER BY code DESC LIMIT 40").df()
    old["lon"], old["lat"] = grids["lon"].to_numpy(), grids["lat"].to_numpy()
    # ten of them at one point near another grid's label point (one 0.001° place):
    # a repeat place (repeat_place_cases, migration 017) made by the key-wise path
    old.loc[:9, "lon"], old.loc[:9, "lat"] = grids["lon"][20] + 2e-4, grids["lat"][20] + 2e-4
    old["category_code"] = "E0103"
    old["closed_at"] = old["reported_at"] + pd.Timedelta(days=2)
    old.to_parquet(tmp_path / "upd.parquet")
    s1 = load_files(con, "incidents", m, [tmp_path / "upd.parquet"])
    assert s1.updated == 40 and s1.summaries == "incremental", s1.report()
    last = con.execute("SELECT max(CAST(reported_at AS DATE)) FROM incidents").fetchone()[0]
    new = pd.DataFrame(incident_rows(con, 60, prefix="ANL", day=(last - timedelta(days=3))
                                     .isoformat()))
    (before,), = con.execute("SELECT DISTINCT r.place_n FROM repeat_place_cases AS r JOIN "
                             "incidents AS i ON i.id = r.id WHERE i.case_no = $c",
                             {"c": old.loc[0, "case_no"]}).fetchall()
    # three new cases join that place (its count and every row's place_n grow by 3),
    # three more make a place of their own (the additive path: analysis/repeat_add.sql)
    new.loc[:2, "lon"], new.loc[:2, "lat"] = old.loc[0, "lon"], old.loc[0, "lat"]
    new.loc[:2, "category_code"] = "E0103"
    new.loc[3:5, "lon"], new.loc[3:5, "lat"] = grids["lon"][30] + 2e-4, grids["lat"][30] + 2e-4
    new.loc[3:5, "category_code"] = "E0103"
    new.to_csv(tmp_path / "new.csv", index=False)
    s2 = load_files(con, "incidents", m, [tmp_path / "new.csv"])
    assert s2.inserted == 60 and s2.summaries == "additive", s2.report()
    joined = con.execute("SELECT place_n, count(*) FROM repeat_place_cases "
                         "WHERE place IN (SELECT place FROM repeat_place_cases AS r JOIN "
                         "incidents AS i ON i.id = r.id WHERE i.case_no LIKE 'ANL%') "
                         "GROUP BY place_n ORDER BY place_n").fetchall()
    assert joined == [(3, 3), (before + 3, before + 3)], joined
    assert con.execute("SELECT count(*) FROM closure_stays AS s JOIN incidents AS i "
                       "ON i.grid_code = s.grid_code WHERE i.case_no LIKE 'ANL%' "
                       "AND s.day = CAST(i.closed_at AS DATE)").fetchone()[0] > 0
    sv = con.execute("SELECT i.case_no, s.surveyed_at, s.channel, s.rating FROM surveys AS s "
                     "JOIN incidents AS i ON i.id = s.incident_id ORDER BY s.incident_id "
                     "LIMIT 30").df()
    sv["rating"] = np.where(sv["rating"] == "满意", "不满意", "满意")
    sv.to_parquet(tmp_path / "sv.parquet")
    s3 = load_files(con, "surveys", Mapping.identity("surveys"), [tmp_path / "sv.parquet"])
    assert s3.updated > 20 and s3.summaries == "incremental", s3.report()
    tables = ANALYSIS_TABLES + PERIOD_TABLES + SATISFACTION_TABLES + REPEAT_TABLES + \
        FACET_TABLES + RANK_TABLES
    loaded = {t: table_checksum(con, t) for t in tables}
    assert loaded["timeliness_city"][0] > 0 and loaded["linkage_city"][0] > 0
    assert loaded["satisfaction_city"][0] > 0 and loaded["repeat_place_cases"][0] > 0
    _check_against_pandas(con)
    _check_open_cases(con)
    _check_satisfaction_city(con)
    _check_repeat_place_cases(con)
    _check_case_facets_city(con)
    check_rank_tables(con)
    # the period tables' hours are sums added in another order by the additive batch
    # (analysis/period_add.sql): compared with a tolerance, not rounded
    frames = {t: table_frame(con, t) for t in PERIOD_TABLES}
    refresh_summaries(con)
    assert {t: table_checksum(con, t) for t in tables if t not in PERIOD_TABLES} == \
        {t: v for t, v in loaded.items() if t not in PERIOD_TABLES}
    for table in PERIOD_TABLES:
        pd.testing.assert_frame_equal(table_frame(con, table), frames[table], rtol=1e-9)
    con.close()


def _mark_rows(con, county: str, since) -> dict[str, tuple]:
    """Add 1000 surveys to one day row and one month row of ``county`` before ``since``'s
    month (rows a bounded refill must leave as they are) and to one day row on or after
    ``since`` (a row it must compute again); return the marked rows' keys."""
    marked = {}
    for name, where in (("old_day", "span = 'day' AND day < date_trunc('month', $d)"),
                        ("old_month", "span = 'month' AND day < date_trunc('month', $d)"),
                        ("recent_day", "span = 'day' AND day >= $d")):
        key = con.execute(f"SELECT span, day, facet, key FROM satisfaction_city WHERE "
                          f"county = $c AND key IS NOT NULL AND {where} "
                          f"ORDER BY day, facet, key LIMIT 1",
                          {"c": county, "d": since}).fetchone()
        assert key is not None, name
        con.execute("UPDATE satisfaction_city SET surveys = surveys + 1000 WHERE span = $1 "
                    "AND day = $2 AND facet = $3 AND key = $4 AND county = $5",
                    [*key, county])
        marked[name] = key
    return marked


def _marks_left(con, county: str, marked: dict[str, tuple]) -> set[str]:
    """The marked rows that still carry their 1000 extra surveys, the marks undone."""
    left = set()
    for name, key in marked.items():
        hit = con.execute("UPDATE satisfaction_city SET surveys = surveys - 1000 WHERE "
                          "span = $1 AND day = $2 AND facet = $3 AND key = $4 AND county = $5 "
                          "AND surveys >= 1000 RETURNING 1", [*key, county]).fetchall()
        left |= {name} if hit else set()
    return left


def test_a_batch_of_recent_surveys_refills_satisfaction_from_their_first_day(
        ingest_store, tmp_path):
    # a survey batch that re-rates the newest surveys, then a case batch that re-categorises
    # the cases of the newest surveys: each refills satisfaction_city only from the
    # earliest survey day it changed (older rows are left as they are), and the table
    # still equals a full refill and pandas over the raw rows
    con = connect(copy_store(ingest_store, tmp_path))
    sv = con.execute("SELECT i.case_no, i.grid_code, s.surveyed_at, s.channel, s.rating "
                     "FROM surveys AS s JOIN incidents AS i ON i.id = s.incident_id "
                     "ORDER BY s.surveyed_at DESC, s.incident_id LIMIT 20").df()
    first = sv["surveyed_at"].min().date()
    county = sv["grid_code"].str[:6].iloc[0]
    first_month = con.execute("SELECT min(day) FROM satisfaction_city").fetchone()[0]
    assert first_month < first.replace(day=1)  # older months exist to leave alone
    marked = _mark_rows(con, county, first)
    sv["rating"] = np.where(sv["rating"] == "满意", "不满意", "满意")
    sv.drop(columns="grid_code").to_parquet(tmp_path / "sv.parquet")
    s1 = load_files(con, "surveys", Mapping.identity("surveys"), [tmp_path / "sv.parquet"])
    assert s1.updated == 20 and s1.summaries == "incremental", s1.report()
    assert _marks_left(con, county, marked) == {"old_day", "old_month"}
    _check_satisfaction_city(con)

    # the cases of the newest surveys move to another 小类: their surveys' rows change
    cases = con.execute("SELECT i.case_no, i.source, i.category_code, i.lon, i.lat, "
                        "i.reported_at, i.registered_at, i.closed_at, i.grid_code, "
                        "min(s.surveyed_at) AS first_survey FROM incidents AS i "
                        "JOIN surveys AS s ON s.incident_id = i.id GROUP BY ALL "
                        "ORDER BY first_survey DESC, i.case_no LIMIT 10").df()
    first = cases["first_survey"].min().date()
    county = cases["grid_code"].str[:6].iloc[0]
    marked = _mark_rows(con, county, first)
    cats = con.execute("SELECT code FROM categories ORDER BY code").df()["code"]
    cases["category_code"] = np.where(cases["category_code"] == cats[0], cats[1], cats[0])
    cases.drop(columns=["grid_code", "first_survey"]).to_parquet(tmp_path / "upd.parquet")
    s2 = load_files(con, "incidents", Mapping.identity("incidents"),
                    [tmp_path / "upd.parquet"])
    assert s2.updated == 10 and s2.summaries == "incremental", s2.report()
    assert _marks_left(con, county, marked) == {"old_day", "old_month"}
    _check_against_pandas(con)
    _check_satisfaction_city(con)
    loaded = table_frame(con, "satisfaction_city")
    refresh_summaries(con)
    pd.testing.assert_frame_equal(table_frame(con, "satisfaction_city"), loaded, rtol=1e-9)
    con.close()


def test_migrate_creates_and_fills_them(ingest_store, tmp_path):
    con = connect(copy_store(ingest_store, tmp_path))
    want = summary_checksums(con)
    for table in ANALYSIS_TABLES:
        con.execute(f"DROP TABLE {table}")
    migrate_from(con, 9)
    assert summary_checksums(con) == want
    _check_against_pandas(con)
    con.close()


def test_migrating_a_version_10_store_fills_only_the_period_tables(ingest_store, tmp_path):
    con = connect(copy_store(ingest_store, tmp_path))
    want = {t: table_checksum(con, t) for t in PERIOD_TABLES}
    others = summary_checksums(con)
    for table in PERIOD_TABLES:
        con.execute(f"DROP TABLE {table}")
    migrate_from(con, 11)  # 011, 012 and every later one (each builds only its own tables)
    assert {t: table_checksum(con, t) for t in PERIOD_TABLES} == want
    assert summary_checksums(con) == others
    con.close()


def test_migrate_012_rebuilds_the_period_tables_keyed_by_county(ingest_store, tmp_path):
    con = connect(copy_store(ingest_store, tmp_path))
    want = {t: table_checksum(con, t) for t in PERIOD_TABLES}
    others = summary_checksums(con)
    # a store at version 11: the period tables keyed by city (011's shape)
    for table in ("timeliness_city", "linkage_city"):
        con.execute(f"ALTER TABLE {table} RENAME COLUMN county TO city")
        con.execute(f"UPDATE {table} SET city = left(city, 4)")
    migrate_from(con, 12)
    for table in ("timeliness_city", "linkage_city"):
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        assert "county" in cols and "city" not in cols
        assert con.execute(f"SELECT min(length(county)), max(length(county)) FROM {table}"
                           ).fetchone() == (6, 6)
    assert {t: table_checksum(con, t) for t in PERIOD_TABLES} == want
    assert summary_checksums(con) == others
    con.close()


def test_migrate_017_creates_and_fills_its_tables(ingest_store, tmp_path):
    con = connect(copy_store(ingest_store, tmp_path))
    tables = SATISFACTION_TABLES + REPEAT_TABLES + FACET_TABLES
    want = {t: table_checksum(con, t) for t in tables}
    others = summary_checksums(con)
    for table in tables:  # a store at version 16
        con.execute(f"DROP TABLE {table}")
    migrate_from(con, 17)
    assert {t: table_checksum(con, t) for t in tables} == want
    assert want["satisfaction_city"][0] > 0  # (this small store has no repeat place)
    assert summary_checksums(con) == others
    _check_satisfaction_city(con)
    _check_repeat_place_cases(con, nonempty=False)
    _check_case_facets_city(con)
    con.close()


def test_migration_adds_place_counts_to_the_repeat_place_cases(ingest_store, tmp_path):
    # repeat_place_cases gains place_n (each place's number of cases, the bound of
    # theme/repeat_places_bound.sql): a store one version before gets it, refilled
    number = next(n for n, p in migrations() if p.name.endswith("_repeat_place_counts.sql"))
    con = connect(copy_store(ingest_store, tmp_path))
    # a place of three cases (copies of one case at its point), so the table has rows
    seed = con.execute("SELECT id FROM incidents WHERE NOT is_void "
                       "AND coalesce(point_quality, '') = '' ORDER BY id LIMIT 1").fetchone()[0]
    top = con.execute("SELECT max(id) FROM incidents").fetchone()[0]
    for k in (1, 2):
        con.execute("INSERT INTO incidents SELECT * REPLACE ($id AS id, 'RP' || $id AS case_no)"
                    " FROM incidents WHERE id = $seed", {"id": top + k, "seed": seed})
    con.execute("ALTER TABLE repeat_place_cases DROP COLUMN place_n")  # as at the version before
    assert "place_n" not in con.execute("SELECT * FROM repeat_place_cases LIMIT 0").df()
    migrate_from(con, number)
    _check_repeat_place_cases(con)
    assert con.execute("SELECT max(place_n) FROM repeat_place_cases").fetchone()[0] >= 3
    con.close()


def test_migrate_018_creates_and_fills_the_ranked_durations(ingest_store, tmp_path):
    con = connect(copy_store(ingest_store, tmp_path))
    want = {t: table_checksum(con, t) for t in RANK_TABLES}
    others = summary_checksums(con)
    for table in RANK_TABLES:  # a store at version 17
        con.execute(f"DROP TABLE {table}")
    migrate_from(con, 18)
    assert {t: table_checksum(con, t) for t in RANK_TABLES} == want
    assert want["duration_ranks"][0] > 0
    assert summary_checksums(con) == others
    check_rank_tables(con)
    con.close()


def test_fill_takes_only_its_declared_case_sets():
    import queries
    from dashboard.kpi.summaries import FILL_ALL

    assert "JOIN incidents AS i" in queries.sql(Q.ANALYSIS_FILL, **FILL_ALL)
    for word in ("incidents; DROP TABLE incidents; --", "surveys", "Incidents"):
        with pytest.raises(ValueError):
            queries.sql(Q.ANALYSIS_FILL, **{**FILL_ALL, "cases": word})
    with pytest.raises(ValueError):
        queries.sql(Q.ANALYSIS_FILL, **{**FILL_ALL, "stays": "incidents"})
