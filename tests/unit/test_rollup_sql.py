"""The region rollups' column lists, generated from the KPI registry (dashboard/kpi/rollup_sql.py).

The registry's ROLLUP_MEASURES is the one home of the measure columns of village_daily,
town_daily, county_daily and city_daily; these tests hold the generated SQL to what the
hand-written lists were.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

import dashboard.kpi  # noqa: F401  (registers the generated blocks)
from dashboard.kpi import rollup_sql
from dashboard.kpi.engine import FAMILIES, FAST_COLUMNS
from dashboard.kpi.registry import KEY_PERSON_SLUGS, ROLLUP_MEASURES
from dashboard.kpi.summaries import APPLY_SLOTS, GRID_LEVEL
from queries import names as Q
from queries import sql

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rollup_columns_main_99b4c5b.json"


def test_create_table_columns_equal_a_store_built_before_the_lists_were_generated():
    # the fixture is PRAGMA table_info of a demo store built by main at 99b4c5b, whose
    # summary/schema.sql spelled the 46 columns out four times
    before = json.loads(FIXTURE.read_text(encoding="utf-8"))
    con = duckdb.connect()
    con.execute(sql(Q.SUMMARY_SCHEMA))
    for table, columns in before.items():
        got = [[name, kind, notnull] for _, name, kind, notnull, _, _ in
               con.execute(f"PRAGMA table_info('{table}')").fetchall()]
        assert got == columns, table
    assert set(before) == set(APPLY_SLOTS)


def test_every_rollup_column_is_a_measure_the_engine_reads():
    columns = {c for cols in FAST_COLUMNS.values() for c in cols.values()}
    assert columns == {m.column for m in ROLLUP_MEASURES}
    for m in ROLLUP_MEASURES:
        spec = FAMILIES[m.family]
        base = m.measure.split(":", 1)[0]
        # a stock is a stock in the engine's grid path too, a flow a flow
        assert (base in spec.stocks) == m.stock, m.column
        assert m.stock or base in spec.flows, m.column
    assert {m.measure for m in ROLLUP_MEASURES if m.family == "key_person"} == {
        "listed", *(f"listed:{c}" for c in KEY_PERSON_SLUGS)}


def test_flows_come_before_stocks():
    # the incremental refresh writes flows then stocks (ingest/apply_level_daily.sql)
    kinds = [m.stock for m in ROLLUP_MEASURES]
    assert kinds == sorted(kinds)


@pytest.mark.parametrize("words", [
    {"form": "drop table"}, {"form": "nope"}, {"part": "some"},
])
def test_measures_refuses_words_outside_its_lists(words):
    with pytest.raises(ValueError):
        rollup_sql.measures(**words)


@pytest.mark.parametrize("words", [{"family": "survey"}, {"incident": "incidents"}])
def test_measure_arms_refuses_words_outside_its_lists(words):
    with pytest.raises(ValueError):
        rollup_sql.measure_arms(**words)


def test_arms_cover_each_family_once_and_zero_the_rest():
    con = duckdb.connect()
    con.execute(sql(Q.STORE_SCHEMA))
    con.execute(sql(Q.SUMMARY_SCHEMA))
    con.execute("CREATE TEMP TABLE grid_scope (grid_code VARCHAR)")
    con.execute("CREATE TEMP TABLE ingest_incident_delta AS SELECT * FROM incident_daily")
    text = rollup_sql.measure_arms()
    names = [d[0] for d in con.execute(text).description]
    assert names == ["region", "day", *(m.column for m in ROLLUP_MEASURES)]
    assert text.count("UNION ALL") == len({m.family for m in ROLLUP_MEASURES}) - 1
    one = rollup_sql.measure_arms(family="incident", incident="ingest_incident_delta")
    assert "UNION" not in one and "FROM ingest_incident_delta" in one
    assert [d[0] for d in con.execute(one).description] == names


# --- the running sums (summary/level_rollup_insert.sql) against the plain formulation ------

LEVEL_DIGITS = {"village": 12, "town": 9, "county": 6, "city": 4}


def _plain_rollup(digits: int) -> str:
    """The formulation the refresh used before: every stock a partitioned running sum over
    all rows (sum(sum(x)) OVER (PARTITION BY region ORDER BY day ROWS UNBOUNDED
    PRECEDING)), written here independently of the query files."""
    items = []
    for m in ROLLUP_MEASURES:
        if m.stock:
            items.append(f"sum(sum({m.column})) OVER (PARTITION BY substr(region, 1, {digits})"
                         f" ORDER BY day ROWS UNBOUNDED PRECEDING) AS {m.column}")
        else:
            items.append(f"sum({m.column}) AS {m.column}")
    return (f"SELECT substr(region, 1, {digits}) AS region, day, {', '.join(items)} "
            f"FROM village_nets GROUP BY substr(region, 1, {digits}), day")


@pytest.fixture(scope="module")
def nets(demo_store):
    """A read-only connection to the demo store with TEMP village_nets rebuilt."""
    con = duckdb.connect(str(demo_store), read_only=True)
    # the process's connections to this file share one DuckDB instance, whose memory limit
    # an app of another test may have set to the server's 1GB; read-only, it cannot spill
    old = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute("SET memory_limit = '8GB'")
    con.execute("CREATE TEMP TABLE grid_scope AS SELECT DISTINCT grid_code FROM ("
                + " UNION ALL ".join(f"SELECT grid_code FROM {t}" for t in GRID_LEVEL) + ")")
    con.execute("CREATE TEMP TABLE village_nets AS " + sql(Q.SUMMARY_VILLAGE_NETS))
    yield con
    con.execute("DROP TABLE village_nets")
    con.execute(f"SET memory_limit = '{old}'")
    con.close()


@pytest.mark.parametrize("level", list(LEVEL_DIGITS))
def test_rollups_equal_the_plain_running_sums(nets, level):
    # the refresh's rollups (built by the demo) equal, row for row, the plain partitioned
    # running sums over the same per-village nets: EXCEPT ALL both ways is empty
    table = f"{level}_daily"
    plain = _plain_rollup(LEVEL_DIGITS[level])
    stored = nets.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert stored > 0
    for a, b in ((f"SELECT * FROM {table}", plain), (plain, f"SELECT * FROM {table}")):
        assert nets.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0] == 0


def test_village_nets_has_one_row_per_region_and_day(nets):
    # the village level's insert reads village_nets without a GROUP BY
    dup = nets.execute("SELECT count(*) FROM (SELECT region, day FROM village_nets "
                       "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    assert dup == 0


def test_village_stocks_equal_a_pandas_cumulative_sum(nets):
    # independent of SQL windows: the nets' cumulative sum per village in day order
    stocks = [m.column for m in ROLLUP_MEASURES if m.stock]
    raw = nets.execute("SELECT * FROM village_nets").df().sort_values(["region", "day"])
    expected = raw[["region", "day"]].copy()
    expected[stocks] = raw.groupby("region")[stocks].cumsum()
    got = nets.execute(f"SELECT region, day, {', '.join(stocks)} FROM village_daily").df()
    merged = expected.merge(got, on=["region", "day"], suffixes=("", "_got"),
                            validate="one_to_one")
    assert len(merged) == len(got) == len(expected)
    for c in stocks:
        assert (merged[c].astype("int64") == merged[f"{c}_got"].astype("int64")).all(), c


@pytest.mark.parametrize("level", ["village", "town"])
def test_rollup_insert_is_portable_sql(level):
    # no DuckDB-only construct in the shared insert: windows, joins, CASE, CAST, substr
    text = sql(Q.SUMMARY_LEVEL_ROLLUP_INSERT, level=level)
    for word in ("QUALIFY", "ASOF", "list_", "struct_", "::"):
        assert word not in text, word


ROLLUPS = ("village_daily", "town_daily", "county_daily", "city_daily")


def _region_ordered(con, table: str) -> bool:
    rows = con.execute(f"SELECT region, day FROM {table} ORDER BY rowid").fetchall()
    return rows == sorted(rows)


def test_rollups_are_stored_in_region_order_and_migration_016_reorders_them(ingest_store,
                                                                            tmp_path):
    """A full refresh writes the region rollups by region, then day (a region's rows in few
    row groups); migration 016 rewrites a store of 015, which held them by day, to the same
    rows in that order."""
    from dashboard import store as store_mod
    from tests.unit.ingest_helpers import connect, copy_store

    con = connect(copy_store(ingest_store, tmp_path))
    try:
        for table in ROLLUPS:
            assert _region_ordered(con, table), table
            con.execute(f"CREATE TEMP TABLE before_{table} AS FROM {table}")
            # as a store of 015 held them
            con.execute(f"CREATE TEMP TABLE o AS SELECT * FROM {table} ORDER BY day, region")
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} SELECT * FROM o ORDER BY day, region")
            con.execute("DROP TABLE o")
        assert not _region_ordered(con, "village_daily")
        con.execute("UPDATE meta SET value = '15' WHERE key = 'schema_version'")
        assert store_mod.migrate(con)[0] == "016_rollup_order.sql"
        for table in ROLLUPS:
            assert _region_ordered(con, table), table
            for a, b in ((table, f"before_{table}"), (f"before_{table}", table)):
                assert con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})"
                                   ).fetchone()[0] == 0, (a, b)
        assert con.execute("SELECT count(*) FROM village_daily").fetchone()[0] > 0
    finally:
        con.close()
