"""The overview's open-items table (migration 014) and the one statement a live screen's
case panels read from it (``overview_data.panel_items``).

The alerts (counts and the first items of each kind, the at-risk items), the critical alert
and the feed read from ``open_items`` equal pandas over the raw rows and the old queries
over the case tables and raw tables, at moments from ``valid_from`` on: the store's newest
event, the demo's own "now", and the first moment at which some open case is overdue
(found in the raw rows, so the test never depends on the hour it runs). Before
``valid_from`` the screen reads the old queries. After a hazard import, an insert-only case
batch and a batch that closes and moves cases the table equals a full refill, and
migration 014 builds what a refresh builds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from dashboard import open_items
from dashboard import overview_data as od
from dashboard import store as store_mod
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.scope import Scope
from tests.unit.ingest_helpers import connect, copy_store, incident_rows, table_checksum

CITY = Scope("3206", "leader")
N = 5  # items per kind


# --- pandas over the raw rows -----------------------------------------------------------


def _raw(con) -> dict[str, pd.DataFrame]:
    out = {t: con.execute(f"SELECT * FROM {t}").df()
           for t in ("incidents", "hazards", "categories", "grids", "regions")}
    out["alerts"] = con.execute("SELECT a.*, s.code AS sensor_code FROM sensor_alerts AS a "
                                "JOIN sensors AS s ON s.id = a.sensor_id").df()
    out["scores"] = con.execute("SELECT * FROM foresight_scores WHERE kind = 'risk'").df()
    return out


def _newest_event(raw) -> datetime:
    inc, hz, al = raw["incidents"], raw["hazards"], raw["alerts"]
    times = [inc[c].max() for c in ("reported_at", "registered_at", "dispatched_at",
                                    "handled_at", "verified_at", "closed_at")]
    times += [hz["found_at"].max(), hz["rectified_at"].max(), al["alerted_at"].max(),
              al["handled_at"].max()]
    return max(t for t in times if not pd.isna(t)).to_pydatetime()


def _open_cases(raw, now: datetime) -> pd.DataFrame:
    inc = raw["incidents"]
    inc = inc[inc["category_code"].isin(raw["categories"]["code"])]
    return inc[~inc["is_void"] & inc["deadline_at"].notna() & (inc["registered_at"] <= now)
               & (inc["closed_at"].isna() | (inc["closed_at"] > now))]


def _expected(raw, prefix: str, now: datetime, user: str) -> dict:
    """Counts and first ids per alert kind, the at-risk ids, the critical item and the feed,
    as the rules of docs/overview.md (Alerts) say, from the raw rows."""
    cases = _open_cases(raw, now)
    cases = cases[cases["grid_code"].str.startswith(prefix)]
    warn = cases["registered_at"] + (cases["deadline_at"] - cases["registered_at"]) * 0.8
    overdue = cases[cases["deadline_at"] < now]
    due_soon = cases[(cases["deadline_at"] >= now) & (warn <= now)]
    hz = raw["hazards"]
    hz = hz[(hz["risk_level"] == "重大") & (hz["found_at"] <= now)
            & (hz["rectified_at"].isna() | (hz["rectified_at"] > now))]
    al = raw["alerts"]
    al = al[(al["alerted_at"] <= now) & (al["handled_at"].isna() | (al["handled_at"] > now))]
    here = {"overdue": overdue.sort_values(["deadline_at", "id"]),
            "due_soon": due_soon.sort_values(["deadline_at", "id"]),
            "major_hazard": hz[hz["grid_code"].str.startswith(prefix)].sort_values(
                ["found_at", "id"], ascending=[False, True]),
            "iot": al[al["grid_code"].str.startswith(prefix)].sort_values(
                ["alerted_at", "id"], ascending=[False, True])}
    out = {kind: (len(f), f["id"].head(N).tolist()) for kind, f in here.items()}
    sc = raw["scores"]
    sc = sc[sc["grid_code"].str.startswith(prefix) & (sc["probability"] >= 0.5)
            & (sc["asof_at"] <= now) & (sc["deadline_at"] > now)]
    out["at_risk"] = sc.sort_values(["probability", "deadline_at", "case_id"],
                                    ascending=[False, True, True])["case_id"].head(N).tolist()
    crit = pd.concat([
        hz[hz["grid_code"].str.startswith(user)].assign(kind="major_hazard",
                                                         at=lambda f: f["found_at"]),
        al[al["grid_code"].str.startswith(user) & (al["level"] == "严重")]
        .assign(kind="iot", at=lambda f: f["alerted_at"])])[["kind", "id", "at"]]
    crit = crit.sort_values(["at", "kind", "id"], ascending=[False, True, False])
    out["critical"] = None if crit.empty else f"{crit['kind'].iloc[0]}:{crit['id'].iloc[0]}"
    inc = raw["incidents"]
    inc = inc[inc["grid_code"].str.startswith(prefix)
              & inc["category_code"].isin(raw["categories"]["code"])
              & (inc["reported_at"] >= now - timedelta(days=7)) & (inc["reported_at"] <= now)]
    inc = inc.sort_values(["reported_at", "id"], ascending=False).head(8)
    out["feed"] = list(zip(inc["id"], [_status_at(r, now) for r in inc.to_dict("records")],
                           strict=True))
    return out


def _status_at(case: dict, now: datetime) -> str:
    """A case's status as it stood at ``now`` (queries/cases/status_at.sql in words)."""
    def by(col):
        return not pd.isna(case[col]) and case[col] <= now
    times = [case[c] for c in ("registered_at", "dispatched_at", "handled_at", "verified_at",
                               "closed_at") if not pd.isna(case[c])]
    if case["is_void"]:
        return case["status"]
    if by("closed_at"):
        return "已结案"
    if not times or max(times) <= now:
        return case["status"]
    for col, status in (("verified_at", "待结案"), ("handled_at", "待核查"),
                        ("dispatched_at", "处置中"), ("registered_at", "已立案")):
        if by(col):
            return status
    return "待立案"


def _got(panels: dict) -> dict:
    counts, items = panels["alerts"]
    out = {kind: (counts[kind], items.loc[items["kind"] == kind, "id"].tolist())
           for kind in ("overdue", "due_soon", "major_hazard", "iot")}
    out["at_risk"] = items.loc[items["kind"] == "at_risk", "id"].tolist()
    out["critical"] = panels["critical"]["key"] if panels["critical"] else None
    out["feed"] = list(zip(panels["feed"]["id"], panels["feed"]["status"], strict=True))
    return out


def _old(con, scope: Scope, user: Scope, now: datetime) -> dict:
    """The panels through the case tables and raw tables (the queries of any moment)."""
    alerts_cover = od.case_tables_cover(con, now)["alerts"]
    feed_cover = od.case_tables_cover(con, now - od.FEED_DAYS)["feed"]
    return {"alerts": od.alerts(con, scope, now, N, tables=alerts_cover),
            "feed": od.feed(con, scope, now, 8, tables=feed_cover),
            "critical": od.critical(con, user, now, tables=alerts_cover)}


def _moments(con, raw) -> dict[str, datetime]:
    """valid_from, the demo's end, and the first moment from valid_from on at which some
    open case is overdue (a minute after the earliest deadline of a case never closed)."""
    start = open_items.valid_from(con)
    end = datetime.fromisoformat(dict(con.execute("SELECT key, value FROM meta").fetchall())
                                 ["history_end"])
    cases = _open_cases(raw, start)
    never = cases[cases["closed_at"].isna()]
    first_due = never["deadline_at"].min().to_pydatetime() + timedelta(minutes=1)
    return {"valid_from": start, "end": max(end, start), "overdue": max(first_due, start)}


def _prefixes(con, raw, now: datetime) -> list[str]:
    cases = _open_cases(raw, now)
    late = cases[cases["deadline_at"] < now]
    busy = (late if len(late) else cases)["grid_code"].value_counts().index[0]
    return ["3206", busy[:6], busy[:12], busy]


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects with None for a missing value: a column the query
    gives all-null comes back as object with None, one with some names as pandas' string
    type with NaN (pandas 3), and the screen reads both as "no name"."""
    frame = frame.copy()
    for col in frame.columns:
        if not (pd.api.types.is_numeric_dtype(frame[col])
                or pd.api.types.is_datetime64_any_dtype(frame[col])):
            values = frame[col].astype(object)
            frame[col] = values.where(values.notna(), None)
    return frame


def _frames_equal(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(_missing_as_none(new), _missing_as_none(old),
                                  check_dtype=False)


def _check(con, raw) -> int:
    """Every moment and prefix: panel_items == pandas == the old queries; the number of
    overdue cases seen (so a caller can tell the check compared something)."""
    seen = 0
    for name, now in _moments(con, raw).items():
        assert open_items.covers(con, now), name
        for prefix in _prefixes(con, raw, now):
            scope = Scope(prefix, "leader")
            new = od.panel_items(con, scope, CITY, now, N)
            want = _expected(raw, prefix, now, CITY.prefix)
            assert _got(new) == want, (name, prefix)
            old = _old(con, scope, CITY, now)
            assert new["alerts"][0] == old["alerts"][0]
            _frames_equal(new["alerts"][1], old["alerts"][1])
            _frames_equal(new["feed"], old["feed"])
            assert new["critical"] == old["critical"]
            # the critical alert of a user whose jurisdiction is the region itself: read
            # by that level's own column (alarm_rank_N, migration 022)
            own = od.panel_items(con, scope, scope, now, N)["critical"]
            assert (own["key"] if own else None) == _expected(raw, prefix, now,
                                                              prefix)["critical"], prefix
            assert own == _old(con, scope, scope, now)["critical"], (name, prefix)
            seen += want["overdue"][0]
    return seen


# --- the session demo store (read-only) ---------------------------------------------------


@pytest.fixture(scope="module")
def raw(demo):
    return _raw(demo)


def test_valid_from_is_the_newest_event(demo, raw):
    assert open_items.valid_from(demo) == _newest_event(raw)


def test_live_panels_equal_pandas_and_the_old_queries(demo, raw):
    assert _check(demo, raw) > 0  # some case was overdue at one of the moments


def test_the_first_overdue_moment_has_an_overdue_case(demo, raw):
    moment = _moments(demo, raw)["overdue"]
    counts, items = od.panel_items(demo, CITY, CITY, moment, N)["alerts"]
    assert counts["overdue"] > 0 and (items["kind"] == "overdue").any()


def test_a_moment_before_valid_from_reads_the_old_queries(demo, raw):
    """A past day picked (before the newest event) is not answered by open_items; the
    panels then equal pandas through the case tables and raw tables."""
    before = open_items.valid_from(demo) - timedelta(days=3, hours=7)
    assert not open_items.covers(demo, before)
    v = od.view(demo, CITY, "")
    got = od.panel_data(demo, v.scope, CITY, before)
    want = _expected(raw, "3206", before, "3206")
    counts, items = got["alerts"]
    for kind in ("overdue", "due_soon", "major_hazard", "iot"):
        assert counts[kind] == want[kind][0], kind
        assert items.loc[items["kind"] == kind, "id"].tolist()[:N] == want[kind][1], kind
    assert list(zip(got["feed"]["id"], got["feed"]["status"], strict=True)) == want["feed"]
    assert (got["critical"]["key"] if got["critical"] else None) == want["critical"]


def test_panel_data_reads_one_statement_on_a_live_screen(demo, raw):
    """panel_data on a live screen equals panel_items and each panel's own function."""
    now = _moments(demo, raw)["overdue"]
    for code in ("", "320612"):
        v = od.view(demo, CITY, code)
        got = od.panel_data(demo, v.scope, CITY, now)
        items = od.panel_items(demo, v.scope, CITY, now)
        assert got["alerts"][0] == items["alerts"][0] == od.alerts(demo, v.scope, now)[0]
        pd.testing.assert_frame_equal(got["alerts"][1], od.alerts(demo, v.scope, now)[1])
        pd.testing.assert_frame_equal(got["feed"], od.feed(demo, v.scope, now))
        # the newer of the hazards' and sensors' critical alert and the strongest surge's
        assert got["critical"] == od.newest_critical(od.critical(demo, CITY, now),
                                                     od.surge_critical(demo, CITY, now))


def test_table_follows_its_definition(demo, raw):
    start = open_items.valid_from(demo)
    inc = raw["incidents"]
    inc = inc[inc["category_code"].isin(raw["categories"]["code"])]
    alerting = (inc["closed_at"].isna() & ~inc["is_void"] & inc["registered_at"].notna()
                & inc["deadline_at"].notna())
    cases = inc[alerting | (inc["reported_at"] >= start - timedelta(days=7))]
    hz = raw["hazards"]
    al = raw["alerts"]
    got = demo.execute("SELECT kind, id FROM open_items ORDER BY kind, id").df()
    want = pd.concat([
        pd.DataFrame({"kind": "case", "id": cases["id"]}),
        pd.DataFrame({"kind": "major_hazard", "id": hz.loc[hz["rectified_at"].isna()
                                                          & (hz["risk_level"] == "重大"), "id"]}),
        pd.DataFrame({"kind": "iot", "id": al.loc[al["handled_at"].isna(), "id"]}),
    ]).sort_values(["kind", "id"]).reset_index(drop=True)
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # a small table: the open items and a week of cases, not the store's history
    assert len(got) < len(raw["incidents"]) / 4


def test_feed_ranks_are_kept_for_the_first_of_each_list_only(demo):
    """Each level's feed ranks are the listed cases' places in their region's feed (newest
    report first, then higher id), recomputed in pandas, kept for the first
    ``FEED_RANKS`` of a list and NULL past them (migration 021); a screen asking for more
    feed rows than that is refused."""
    cap = open_items.FEED_RANKS
    rows = demo.execute("SELECT id, grid_code, reported_at, feed_rank_1 AS f1, "
                        "feed_rank_2 AS f2, feed_rank_3 AS f3, feed_rank_4 AS f4, "
                        "feed_rank_5 AS f5 FROM open_items "
                        "WHERE kind = 'case' AND listed").df()
    assert len(rows) > cap  # the city's list is longer than the cap
    for level, digits in enumerate((4, 6, 9, 12, 15), start=1):
        scope = rows["grid_code"].str[:digits]
        order = rows.assign(scope=scope).sort_values(
            ["scope", "reported_at", "id"], ascending=[True, False, False])
        place = order.groupby("scope").cumcount() + 1
        want = place.where(place <= cap).reindex(rows.index)
        got = rows[f"f{level}"]
        assert (got.isna() == want.isna()).all(), level
        assert (got.dropna().astype(int) == want.dropna().astype(int)).all(), level
    with pytest.raises(ValueError, match="feed_n"):
        od.panel_items(demo, CITY, CITY, open_items.valid_from(demo), feed_n=cap + 1)


# --- maintenance: imports, a full refresh, migration 014 ----------------------------------


def _checksums(con) -> dict:
    return {t: table_checksum(con, t) for t in open_items.TABLES}


def _refilled(con) -> dict:
    """The checksums a full refill gives (then the table is as before: same rows)."""
    con.execute("BEGIN TRANSACTION")
    try:
        open_items.refresh(con)
        return _checksums(con)
    finally:
        con.execute("ROLLBACK")


@pytest.fixture()
def store(ingest_store, tmp_path):
    con = connect(copy_store(ingest_store, tmp_path))
    yield con
    con.close()


def test_imports_keep_it_equal_to_a_refill_and_to_pandas(store, tmp_path):
    con = store
    latest = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
    # 1) hazards (key-wise refresh): one open hazard rectified, one raised to 重大
    hz = con.execute("SELECT hazard_no, type, risk_level, grid_code, source, found_at, "
                     "deadline_at, rectified_at FROM hazards WHERE rectified_at IS NULL "
                     "AND risk_level <> '重大' ORDER BY id LIMIT 2").df()
    assert len(hz) == 2
    hz.loc[0, "rectified_at"] = pd.Timestamp(latest) - pd.Timedelta(hours=2)
    hz.loc[1, "risk_level"] = "重大"
    hz.to_parquet(tmp_path / "hz.parquet")
    s = load_files(con, "hazards", Mapping.identity("hazards"), [tmp_path / "hz.parquet"])
    assert s.updated == 2, s.report()
    assert con.execute("SELECT count(*) FROM open_items WHERE kind = 'major_hazard' "
                       "AND ref = $h", {"h": hz["hazard_no"].iloc[1]}).fetchone()[0] == 1
    assert _checksums(con) == _refilled(con)
    assert _check(con, _raw(con)) >= 0
    # 2) new cases on the newest day (the additive refresh)
    day = (latest - timedelta(days=1)).date().isoformat()
    pd.DataFrame(incident_rows(con, 10, prefix="NEW", day=day, seed=3)) \
        .to_csv(tmp_path / "new.csv", index=False)
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "new.csv"])
    assert (s.inserted, s.summaries) == (10, "additive"), s.report()
    assert con.execute("SELECT count(*) FROM open_items WHERE starts_with(ref, 'NEW')"
                       ).fetchone()[0] == 10  # reported in the feed's week
    assert _checksums(con) == _refilled(con)
    # 3) a batch that closes open cases and adds new ones (the key-wise refresh); not
    # cases due after the month of the newest report (test_case_tables.py says why)
    old = con.execute(
        "SELECT case_no, source, category_code, lon, lat, reported_at, registered_at, "
        "closed_at FROM incidents WHERE NOT is_void AND closed_at IS NULL "
        "AND registered_at IS NOT NULL AND deadline_at IS NOT NULL "
        "AND deadline_at < date_trunc('month', $latest) + INTERVAL 1 MONTH "
        "ORDER BY id LIMIT 4", {"latest": latest}).df()
    assert len(old) == 4
    old["closed_at"] = old["registered_at"] + pd.Timedelta(hours=5)
    fresh = pd.DataFrame(incident_rows(con, 3, prefix="MORE", day=day, seed=4))
    for col in ("reported_at", "registered_at", "closed_at"):
        fresh[col] = pd.to_datetime(fresh[col].replace("", None))
    pd.concat([old, fresh]).to_parquet(tmp_path / "mixed.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "mixed.parquet"])
    assert (s.updated, s.inserted, s.summaries) == (4, 3, "incremental"), s.report()
    closed = con.execute("SELECT count(*) FROM open_items WHERE alerting AND list_contains("
                         "$c, ref)", {"c": old["case_no"].tolist()}).fetchone()[0]
    assert closed == 0  # closed: no longer alert candidates
    assert _checksums(con) == _refilled(con)
    assert _check(con, _raw(con)) >= 0


def test_migration_014_builds_what_a_refresh_builds(store):
    con = store
    want = _checksums(con)
    for table in open_items.TABLES:
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE meta SET value = '13' WHERE key = 'schema_version'")
    later = [path.name for n, path in store_mod.migrations() if n >= 14]
    assert store_mod.migrate(con) == later and later[0] == "014_open_items.sql"
    assert _checksums(con) == want


def test_a_store_without_the_table_is_never_covered():
    """Summary tables built elsewhere without open_items: the screen reads the old queries
    instead of failing."""
    import duckdb

    con = duckdb.connect()
    assert open_items.valid_from(con) is None
    assert not open_items.covers(con, datetime(2026, 12, 3, 12, 0))
