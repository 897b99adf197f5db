"""The overview's tables of migration 010 (open_hazards, open_alerts, case_durations).

The alerts panel's 重大隐患 and 物联告警 and the critical alert read the open tables for a
moment inside the case window and the raw tables before it; either way their answers equal
a pandas computation over the raw hazards and sensor alerts. case_durations holds every
closed case's handling and closing hours, equal to pandas over raw incidents (the engine's
medians read it: tests/unit/test_kpi.py checks them against pandas). After a hazard import
(rectified, raised and new hazards), an insert-only case batch and a batch that closes and
moves cases, all three equal their definition and a full refresh; migration 010 builds
what a refresh builds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from dashboard import store as store_mod
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.summaries import OVERVIEW_TABLES, refresh_summaries
from dashboard.overview_data import case_tables_cover
from queries import names as Q
from queries import run
from tests.unit.ingest_helpers import connect, copy_store, incident_rows, table_checksum


def _since(con) -> datetime:
    return pd.Timestamp(con.execute("SELECT since FROM case_window").fetchone()[0]) \
        .to_pydatetime()


def _raw(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    hz = con.execute("SELECT * FROM hazards").df()
    al = con.execute("SELECT a.*, s.code AS sensor_code, s.type AS sensor_type, "
                     "g.village_code FROM sensor_alerts AS a "
                     "JOIN sensors AS s ON s.id = a.sensor_id "
                     "JOIN grids AS g ON g.code = a.grid_code").df()
    return hz, al


def _expected(con, prefix: str, now: datetime, n: int) -> dict:
    """Per kind: (count, the first n ids) of open major hazards (newest found first) and
    unhandled sensor alerts (newest first) at ``now``, and the critical alert."""
    hz, al = _raw(con)
    hz = hz[hz["grid_code"].str.startswith(prefix) & (hz["risk_level"] == "重大")
            & (hz["found_at"] <= now)
            & (hz["rectified_at"].isna() | (hz["rectified_at"] > now))]
    al = al[al["grid_code"].str.startswith(prefix) & (al["alerted_at"] <= now)
            & (al["handled_at"].isna() | (al["handled_at"] > now))]
    hz = hz.sort_values(["found_at", "id"], ascending=[False, True])
    al = al.sort_values(["alerted_at", "id"], ascending=[False, True])
    crit = pd.concat([
        hz.assign(kind="major_hazard", at=hz["found_at"])[["kind", "id", "at"]],
        al[al["level"] == "严重"].assign(kind="iot", at=lambda f: f["alerted_at"])
        [["kind", "id", "at"]]])
    crit = crit.sort_values(["at", "kind", "id"], ascending=[False, True, False])
    return {"major_hazard": (len(hz), hz["id"].head(n).tolist()),
            "iot": (len(al), al["id"].head(n).tolist()),
            "critical": None if crit.empty else (crit["kind"].iloc[0], int(crit["id"].iloc[0]))}


def _moments(con) -> dict[str, datetime]:
    since = _since(con)
    latest = pd.Timestamp(con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
                          ).to_pydatetime()
    return {"latest": latest, "inside": since + timedelta(days=9, hours=13),
            "at_since": since, "before": since - timedelta(days=20, hours=5)}


def _prefixes(con) -> list[str]:
    busy = con.execute("SELECT substr(grid_code, 1, 12) FROM open_alerts "
                       "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    grid = con.execute("SELECT grid_code FROM open_alerts WHERE starts_with(grid_code, $v) "
                       "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", {"v": busy}).fetchone()[0]
    return ["3206", busy[:6], busy, grid]


def _check(con) -> int:
    """The alerts' hazard and sensor kinds and the critical alert against pandas at every
    moment and prefix, through the branch the screen takes and (inside the window) through
    the raw branch too; the number of answers with items, so a test can tell it compared
    something."""
    seen = 0
    for name, moment in _moments(con).items():
        for prefix in _prefixes(con):
            tables = case_tables_cover(con, moment)["alerts"]
            assert tables == (name != "before")
            want = _expected(con, prefix, moment, 4)
            for branch in {tables, False}:
                items = run(con, Q.OVERVIEW_ALERTS, prefix=prefix, now=moment, n=4,
                            tables=branch)
                for kind in ("major_hazard", "iot"):
                    mine = items[items["kind"] == kind]
                    got = (int(mine["total"].iloc[0]) if len(mine) else 0,
                           mine["id"].tolist())
                    assert got == want[kind], (name, prefix, kind, branch)
                crit = run(con, Q.OVERVIEW_CRITICAL, prefix=prefix, now=moment, tables=branch)
                got = None if crit.empty else (crit["kind"].iloc[0], int(crit["id"].iloc[0]))
                assert got == want["critical"], (name, prefix, branch)
            seen += bool(want["major_hazard"][0]) + bool(want["iot"][0])
    return seen


def _tables_follow_their_definition(con) -> None:
    since = _since(con)
    hz, al = _raw(con)
    want = hz[hz["rectified_at"].isna() | (hz["rectified_at"] > since)]
    got = con.execute("SELECT id, open_until = 'infinity' AS still FROM open_hazards "
                      "ORDER BY id").df()
    assert got["id"].tolist() == sorted(want["id"])
    assert int(got["still"].sum()) == int(want["rectified_at"].isna().sum())
    want = al[al["handled_at"].isna() | (al["handled_at"] > since)]
    got = con.execute("SELECT id, open_until = 'infinity' AS still FROM open_alerts "
                      "ORDER BY id").df()
    assert got["id"].tolist() == sorted(want["id"])
    assert int(got["still"].sum()) == int(want["handled_at"].isna().sum())


def _durations_follow_their_definition(con) -> None:
    inc = con.execute("SELECT * FROM incidents").df()
    inc = inc[~inc["is_void"] & inc["closed_at"].notna()]
    hours = pd.DataFrame({
        "grid_code": inc["grid_code"],
        "closed_day": inc["closed_at"].dt.normalize(),
        "handle_hours": (inc["handled_at"] - inc["registered_at"]).dt.total_seconds() / 3600,
        "close_hours": (inc["closed_at"] - inc["reported_at"]).dt.total_seconds() / 3600})
    got = con.execute("SELECT grid_code, CAST(closed_day AS TIMESTAMP) AS closed_day, "
                      "handle_hours, close_hours FROM case_durations").df()
    assert len(got) == len(hours) > 0
    assert got["handle_hours"].isna().sum() == hours["handle_hours"].isna().sum()
    cols = ["grid_code", "closed_day", "close_hours", "handle_hours"]
    want = hours.sort_values(cols).reset_index(drop=True)
    got = got.sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False, rtol=1e-12)


def _checksums(con) -> dict:
    return {t: table_checksum(con, t) for t in OVERVIEW_TABLES}


@pytest.fixture()
def store(ingest_store, tmp_path):
    con = connect(copy_store(ingest_store, tmp_path))
    yield con
    con.close()


def test_alerts_and_critical_equal_the_raw_tables_inside_and_before_the_window(store):
    _tables_follow_their_definition(store)
    _durations_follow_their_definition(store)
    assert _check(store) >= 2
    # the tables hold a part of the raw rows (at 10M: 13k of 600k hazards, 40k of 1.6M
    # alerts; this store covers four months, the window 37 days of them)
    for table, raw in (("open_hazards", "hazards"), ("open_alerts", "sensor_alerts")):
        n = store.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert 0 < n < store.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]


def test_a_hazard_import_and_a_case_batch_keep_them_exact(store, tmp_path):
    con = store
    # 1) hazards (key-wise refresh): two open ones rectified, one raised to 重大 and left
    # open, a new open 重大 one
    latest = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
    hz = con.execute("SELECT hazard_no, type, risk_level, grid_code, source, found_at, "
                     "deadline_at, rectified_at FROM hazards WHERE rectified_at IS NULL "
                     "ORDER BY id LIMIT 3").df()
    assert len(hz) == 3
    gone, raised = hz["hazard_no"].tolist()[:2], hz["hazard_no"].iloc[2]
    hz.loc[:1, "rectified_at"] = pd.Timestamp(latest) - pd.Timedelta(hours=2)
    hz.loc[2, "risk_level"] = "重大"
    new = hz.tail(1).assign(hazard_no="HZNEW1",
                            found_at=pd.Timestamp(latest) - pd.Timedelta(hours=1),
                            deadline_at=pd.Timestamp(latest) + pd.Timedelta(days=7))
    pd.concat([hz, new]).to_parquet(tmp_path / "hz.parquet")
    s = load_files(con, "hazards", Mapping.identity("hazards"), [tmp_path / "hz.parquet"])
    assert (s.updated, s.inserted) == (3, 1), s.report()
    assert con.execute("SELECT count(*) FROM open_hazards WHERE open_until = 'infinity' "
                       "AND hazard_no IN (SELECT unnest($h))", {"h": gone}).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM open_hazards WHERE open_until = 'infinity' "
                       "AND risk_level = '重大' AND hazard_no IN ($a, 'HZNEW1')",
                       {"a": raised}).fetchone()[0] == 2
    _tables_follow_their_definition(con)
    assert _check(con) >= 2
    # 2) new cases on the newest day (the additive refresh, which refills the case window)
    day = (latest - timedelta(days=1)).date().isoformat()
    pd.DataFrame(incident_rows(con, 10, prefix="NEW", day=day, seed=3)) \
        .to_csv(tmp_path / "new.csv", index=False)
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "new.csv"])
    assert (s.inserted, s.summaries) == (10, "additive"), s.report()
    _tables_follow_their_definition(con)
    _durations_follow_their_definition(con)
    assert _check(con) >= 2
    # 3) a batch that closes open cases, moves a closed one to another grid and adds one
    # (the key-wise refresh)
    # (not cases due after the month of the newest report: test_case_tables.py says why)
    old = con.execute(
        "SELECT case_no, source, category_code, lon, lat, reported_at, registered_at, "
        "closed_at FROM incidents WHERE NOT is_void AND closed_at IS NULL "
        "AND registered_at IS NOT NULL AND (deadline_at IS NULL "
        "OR deadline_at < date_trunc('month', $latest) + INTERVAL 1 MONTH) "
        "ORDER BY id LIMIT 4", {"latest": latest}).df()
    assert len(old) == 4
    old["closed_at"] = old["registered_at"] + pd.Timedelta(hours=5)
    moved = con.execute(
        "SELECT case_no, source, category_code, lon, lat, reported_at, registered_at, "
        "closed_at FROM incidents WHERE NOT is_void AND closed_at IS NOT NULL "
        "ORDER BY id DESC LIMIT 1").df()
    far = con.execute("SELECT lon, lat FROM grids ORDER BY code DESC LIMIT 1").fetchone()
    moved[["lon", "lat"]] = far
    fresh = pd.DataFrame(incident_rows(con, 3, prefix="MORE", day=day, seed=4))
    for col in ("reported_at", "registered_at", "closed_at"):
        fresh[col] = pd.to_datetime(fresh[col].replace("", None))
    pd.concat([old, moved, fresh]).to_parquet(tmp_path / "mixed.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "mixed.parquet"])
    assert (s.updated, s.inserted, s.summaries) == (5, 3, "incremental"), s.report()
    _durations_follow_their_definition(con)
    _tables_follow_their_definition(con)
    assert _check(con) >= 2
    loaded = _checksums(con)
    refresh_summaries(con)
    assert _checksums(con) == loaded


def test_migration_010_builds_the_tables_a_refresh_builds(store):
    """A version-9 store (without the tables) migrated by 010 holds what a refresh fills."""
    con = store
    want = _checksums(con)
    for table in OVERVIEW_TABLES:
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    # 010 and every later migration (each builds only its own tables)
    later = [path.name for n, path in store_mod.migrations() if n >= 10]
    assert store_mod.migrate(con) == later and later[0] == "010_overview_tables.sql"
    assert _checksums(con) == want
