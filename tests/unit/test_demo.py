"""The demo store: schema, determinism, consistency and the story its numbers tell."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import numpy as np
import pytest
import shapely

from dashboard import demo
from dashboard.demo import DemoSpec, build_demo, checksums
from queries import names as Q
from queries import sql

END = datetime(2026, 6, 30, 18, 0)
SMALL = DemoSpec(incidents=6_000, seed=11, end=END, key_person_share=0.0005)


@pytest.fixture(scope="module")
def con(demo_store):
    c = duckdb.connect(str(demo_store), read_only=True)
    yield c
    c.close()


def _one(con, query, params=None):
    return con.execute(query, params or {}).fetchone()[0]


def test_schema_tables_and_time_zone(con):
    declared = re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)",
                          sql(Q.STORE_SCHEMA) + sql(Q.SUMMARY_SCHEMA) + sql(Q.ANALYSIS_SCHEMA)
                          + sql(Q.OVERVIEW_TABLES_SCHEMA) + sql(Q.ANALYSIS_PERIOD_SCHEMA)
                          + sql(Q.OVERVIEW_ITEMS_SCHEMA)
                          + sql(Q.ANALYSIS_SATISFACTION_SCHEMA) + sql(Q.ANALYSIS_REPEAT_SCHEMA)
                          + sql(Q.ANALYSIS_FACETS_SCHEMA) + sql(Q.ANALYSIS_RANKS_SCHEMA))
    tables = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    assert tables == set(declared)
    assert len(declared) >= 14
    assert _one(con, "SELECT value FROM meta WHERE key = 'timezone'") == "Asia/Shanghai"
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'incidents'").fetchall())
    assert types["reported_at"] == "TIMESTAMP" and types["closed_at"] == "TIMESTAMP"


def test_every_table_is_filled(con):
    # the import log and the quarantine are filled by imports, never by the demo builder
    from dashboard.ingest.load import LOG_TABLES

    for table, (rows, _) in checksums(con).items():
        if table in LOG_TABLES:
            assert rows == 0, table
            continue
        assert rows > 0, table


def test_same_seed_same_checksums_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    build_demo(a, SMALL, progress=False)
    build_demo(b, SMALL, progress=False)
    build_demo(c, DemoSpec(**{**SMALL.__dict__, "seed": 12}), progress=False)
    sums = []
    for path in (a, b, c):
        with duckdb.connect(str(path), read_only=True) as con:
            sums.append(checksums(con))
    assert sums[0] == sums[1]
    assert sums[0]["incidents"] != sums[2]["incidents"]
    assert sums[0]["incidents"][0] == SMALL.incidents


def test_codes_nest_and_references_resolve(con):
    assert _one(con, """SELECT count(*) FROM grids g LEFT JOIN regions r
                        ON r.code = g.village_code AND r.level = 'village'
                        WHERE r.code IS NULL OR NOT starts_with(g.code, g.village_code)""") == 0
    for table in ("incidents", "hazards", "key_persons", "sensors", "visits", "sensor_alerts"):
        orphans = _one(con, f"""SELECT count(*) FROM {table} t LEFT JOIN grids g
                                ON g.code = t.grid_code WHERE g.code IS NULL""")
        assert orphans == 0, table
    assert _one(con, """SELECT count(*) FROM incidents i LEFT JOIN departments d
                        ON d.code = i.dept_code
                        WHERE i.dept_code IS NOT NULL AND d.code IS NULL""") == 0
    assert _one(con, """SELECT count(*) FROM incidents i LEFT JOIN categories c
                        ON c.code = i.category_code WHERE c.code IS NULL""") == 0
    # a department serves the region whose code prefixes the case's grid
    assert _one(con, """SELECT count(*) FROM incidents i JOIN departments d ON d.code = i.dept_code
                        JOIN regions r ON r.code = d.region_code
                        WHERE NOT starts_with(i.grid_code, r.short_code)
                           OR d.tier <> i.tier""") == 0


def test_every_incident_point_lies_in_its_grid(con):
    grids = con.execute("SELECT code, geometry FROM grids").fetchall()
    geoms = dict((code, shapely.from_wkb(wkb)) for code, wkb in grids)
    pts = con.execute("SELECT grid_code, lon, lat FROM incidents ORDER BY grid_code").df()
    outside = 0
    for code, part in pts.groupby("grid_code", sort=False):
        inside = shapely.contains_xy(geoms[code], part["lon"].to_numpy(), part["lat"].to_numpy())
        outside += int((~inside).sum())
    assert len(pts) > 0 and outside == 0


def test_lifecycle_times_are_ordered_and_status_matches(con):
    stages = ["reported_at", "registered_at", "dispatched_at", "handled_at", "verified_at",
              "closed_at"]
    for earlier, later in zip(stages, stages[1:], strict=False):
        bad = _one(con, f"SELECT count(*) FROM incidents WHERE {later} < {earlier} "
                        f"OR ({later} IS NOT NULL AND {earlier} IS NULL)")
        assert bad == 0, (earlier, later)
    end = _one(con, "SELECT CAST(value AS TIMESTAMP) FROM meta WHERE key = 'history_end'")
    for col in stages:
        assert _one(con, f"SELECT count(*) FROM incidents WHERE {col} > $end", {"end": end}) == 0
    mismatched = _one(con, """
        SELECT count(*) FROM incidents WHERE status <> CASE
            WHEN is_void THEN '已作废' WHEN closed_at IS NOT NULL THEN '已结案'
            WHEN verified_at IS NOT NULL THEN '待结案' WHEN handled_at IS NOT NULL THEN '待核查'
            WHEN dispatched_at IS NOT NULL THEN '处置中'
            WHEN registered_at IS NOT NULL THEN '已立案' ELSE '待立案' END""")
    assert mismatched == 0
    assert _one(con, """SELECT count(*) FROM incidents i JOIN categories c
                        ON c.code = i.category_code
                        WHERE deadline_at <> registered_at
                              + to_hours(c.deadline_hours + i.extended_hours)""") == 0
    assert _one(con, "SELECT count(*) FROM incidents WHERE is_void AND registered_at IS NOT NULL"
                ) == 0


def test_escalations_match_cases(con):
    assert _one(con, """SELECT count(*) FROM (
                          SELECT i.id FROM incidents i LEFT JOIN escalations e
                          ON e.incident_id = i.id GROUP BY i.id, i.escalations
                          HAVING count(e.incident_id) <> i.escalations)""") == 0
    # escalations climb one tier at a time and end at the handling tier
    assert _one(con, """SELECT count(*) FROM escalations e JOIN incidents i ON i.id = e.incident_id
                        WHERE e.kind = '上报上级' AND e.seq = i.escalations
                          - (SELECT count(*) FROM escalations t WHERE t.incident_id = i.id
                             AND t.kind = '转派') AND e.to_tier <> i.tier""") == 0
    tiers = dict(con.execute("SELECT tier, count(*) FROM incidents GROUP BY tier").fetchall())
    total = sum(tiers.values())
    assert (tiers["village"] + tiers["town"]) / total > 0.7
    assert 0.05 < (tiers["county"] + tiers["city"]) / total < 0.3


def test_the_platform_launch_story(con):
    q = con.execute("""
        WITH h AS (SELECT epoch(CAST(value AS TIMESTAMP)) AS t FROM meta
                   WHERE key = 'history_start'),
             l AS (SELECT epoch(CAST(value AS TIMESTAMP)) AS t FROM meta
                   WHERE key = 'platform_launch')
        SELECT epoch(i.reported_at) < (SELECT t FROM l) AS before,
               avg(epoch(i.closed_at) - epoch(i.reported_at)) / 3600 AS hours,
               avg(CASE WHEN s.rating IN ('满意', '基本满意') THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE s.rating IS NOT NULL) AS sat,
               avg(CASE WHEN i.handled_at > i.deadline_at THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE i.handled_at IS NOT NULL) AS overdue
        FROM incidents i LEFT JOIN surveys s ON s.incident_id = i.id
        WHERE epoch(i.reported_at) < (SELECT t FROM l)
           OR epoch(i.reported_at) > (SELECT t FROM l) + 200 * 86400
        GROUP BY 1 ORDER BY 1 DESC""").df()
    before, after = q.iloc[0], q.iloc[1]
    assert before["before"] and not after["before"]
    assert before["hours"] > 48 and after["hours"] < 24  # days to hours
    assert 0.6 < before["sat"] < 0.74 and 0.9 < after["sat"] < 0.97
    assert 0.1 < before["overdue"] < 0.35 and 0.01 < after["overdue"] < 0.1


def test_rhythms(con):
    by_dow = dict(con.execute("SELECT isodow(reported_at), count(*) FROM incidents GROUP BY 1"
                              ).fetchall())
    assert min(by_dow[d] for d in range(1, 6)) > max(by_dow[6], by_dow[7])
    night, day = con.execute("""SELECT count(*) FILTER (WHERE hour(reported_at) < 6),
                                       count(*) FILTER (WHERE hour(reported_at) BETWEEN 8 AND 17)
                                FROM incidents WHERE source = '网格员巡查'""").fetchone()
    assert night * 20 < day
    flood, winter = con.execute("""SELECT count(*) FILTER (WHERE month(found_at) IN (6, 7, 8)),
                                          count(*) FILTER (WHERE month(found_at) IN (12, 1, 2))
                                   FROM hazards WHERE type = '防汛'""").fetchone()
    assert flood > 2 * winter
    urban, rural = con.execute("""
        SELECT sum(n) FILTER (WHERE urban) / sum(population) FILTER (WHERE urban),
               sum(n) FILTER (WHERE NOT urban) / sum(population) FILTER (WHERE NOT urban)
        FROM (SELECT g.urban, g.population, count(i.id) AS n FROM grids g
              LEFT JOIN incidents i ON i.grid_code = g.code GROUP BY g.code, g.urban,
              g.population)""").fetchone()
    assert urban > 1.2 * rural
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM incidents").fetchall()}
    assert sources == set(demo.SOURCES)


def test_personal_data_kept_apart_and_valid(con):
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'key_persons'").fetchall()}
    assert not cols & {"name", "id_number", "phone", "address"}
    ids = [r[0] for r in con.execute("SELECT id_number FROM key_person_pii LIMIT 2000").fetchall()]
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    for number in ids:
        assert re.fullmatch(r"\d{17}[\dX]", number)
        total = int(np.dot([int(c) for c in number[:17]], weights))
        assert "10X98765432"[total % 11] == number[17]
    assert _one(con, """SELECT count(*) FROM key_person_pii p JOIN key_persons k
                        ON k.id = p.person_id WHERE substr(p.id_number, 1, 6)
                        <> substr(k.grid_code, 1, 6)""") == 0


def test_spec_rejects_bad_sizes():
    for bad in (DemoSpec(incidents=-1), DemoSpec(incidents=10**10), DemoSpec(1, years=0)):
        with pytest.raises(ValueError):
            bad.validate()


def test_failed_build_leaves_existing_store_untouched(tmp_path, monkeypatch):
    path = tmp_path / "store.duckdb"
    build_demo(path, SMALL, progress=False)
    with duckdb.connect(str(path), read_only=True) as con:
        before = checksums(con)
    sidecar = path.with_name(path.name + ".id")  # the store id the intake endpoint reports
    store_id = sidecar.read_text()

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo, "_key_persons", explode)
    with pytest.raises(RuntimeError):
        build_demo(path, DemoSpec(**{**SMALL.__dict__, "seed": 99}), progress=False)
    with duckdb.connect(str(path), read_only=True) as con:
        assert checksums(con) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.duckdb", "store.duckdb.id"]
    assert sidecar.read_text() == store_id
