"""The Spark port of the summary refresh without Spark: the plan, the rewrites, the lake.

tests/integration/test_spark_summaries.py runs the port on Spark and compares every table
with DuckDB's; these check the parts that need no JVM.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from dashboard.kpi import summaries as S
from dashboard.spark import sqlport
from dashboard.spark.lake import PARTITION_BY, export_lake, read_manifest, target_schemas


def test_the_plan_fills_every_table_the_duckdb_refresh_fills():
    filled = {sqlport.port(st, step.params).table
              for step in sqlport.plan() for st in sqlport.statements(step.text)
              if sqlport.port(st, step.params).op == "insert"}
    declared = set(S.declared_tables()) | set(S.ANALYSIS_TABLES) | set(S.OVERVIEW_TABLES) \
        | set(S.PERIOD_TABLES)
    assert filled == declared == set(sqlport.targets())


def test_every_statement_of_the_plan_ports():
    ops = [sqlport.port(st, step.params).op
           for step in sqlport.plan() for st in sqlport.statements(step.text)]
    assert {"insert", "delete", "temp", "drop", "skip"} == set(ops)


def test_epoch_becomes_exact_microseconds_not_unix_timestamp():
    q = sqlport.port("INSERT INTO t SELECT epoch(b) - epoch(a) FROM x").query
    assert "UNIX_TIMESTAMP" not in q.upper()
    assert q.count("TIMESTAMPDIFF(MICROSECOND") == 2 and "/ 1e6" in q


def test_generate_series_keeps_its_column_alias():
    q = sqlport.port("INSERT INTO t SELECT CAST(m AS DATE) FROM generate_series("
                     "TIMESTAMP '2024-01-01', TIMESTAMP '2024-03-01', INTERVAL 1 MONTH) "
                     "AS s(m)").query
    assert "EXPLODE(SEQUENCE(" in q.upper() and "AS `m`) AS `s`" in q


def test_adjacent_unnests_become_one_zip():
    q = sqlport.port("INSERT INTO t SELECT d, unnest(['a', 'b']) AS k, unnest([x, y]) AS v "
                     "FROM z").query
    assert "INLINE(ARRAYS_ZIP(ARRAY('a', 'b'), ARRAY(`x`, `y`))) AS (`k`, `v`)" in q


def test_unnests_apart_are_refused():
    with pytest.raises(ValueError, match="adjacent"):
        sqlport.port("INSERT INTO t SELECT unnest([1]) AS a, d, unnest([2]) AS b FROM z")


def test_log10_stays_log10():
    q = sqlport.port("INSERT INTO t SELECT floor(100 * log10(greatest(h, 0.001))) FROM z").query
    assert "LOG10(" in q.upper() and "LOG(10" not in q.upper()


def test_infinity_becomes_null_and_is_listed_for_the_load():
    q = sqlport.port("INSERT INTO open_cases SELECT coalesce(c, 'infinity'::TIMESTAMP) "
                     "FROM z").query
    assert "infinity" not in q.lower() and "NULL" in q.upper()
    texts = [step.text for step in sqlport.plan()]
    for table, columns in sqlport.INFINITE.items():
        assert any(f"INSERT INTO {table}" in t and "'infinity'" in t for t in texts), table
        assert set(columns) <= {c for c, _, _ in target_schemas()[table]}


def test_a_materialisation_hint_is_dropped_and_the_cte_kept():
    # DuckDB's `AS [NOT] MATERIALIZED` (analysis/fill reads the closed cases through a
    # CTE it must not hold in memory) is no Spark SQL; the CTE itself ports as it is
    for hint in ("NOT MATERIALIZED", "MATERIALIZED"):
        q = sqlport.port(f"INSERT INTO t WITH c AS {hint} (SELECT a FROM z WHERE b) "
                         "SELECT a FROM c UNION ALL SELECT a FROM c").query
        assert "MATERIALIZED" not in q.upper() and "WITH `c` AS (SELECT" in q


def test_parameters_become_typed_literals_and_a_missing_one_is_an_error():
    q = sqlport.port("DELETE FROM t WHERE day >= $since",
                     {"since": sqlport.FULL_SINCE}).where
    assert q == "`day` >= CAST('1900-01-01' AS DATE)"
    with pytest.raises(ValueError, match=r"\$since"):
        sqlport.port("DELETE FROM t WHERE day >= $since")


def test_the_lake_holds_every_source_row_in_month_partitions(ingest_store, tmp_path):
    store = tmp_path / "s.duckdb"
    shutil.copy(ingest_store, store)
    lake = tmp_path / "lake"
    manifest = export_lake(store, lake)
    assert set(manifest["tables"]) == set(sqlport.sources())
    assert set(PARTITION_BY) <= set(sqlport.sources())
    assert read_manifest(lake)["version"] == manifest["version"]
    assert not list(tmp_path.glob("lake.tmp-*"))
    con = duckdb.connect(str(store), read_only=True)
    for table, info in manifest["tables"].items():
        files = str(lake / table / "**" / "*.parquet")
        got = duckdb.sql(f"SELECT count(*) FROM read_parquet('{files}', "
                         "hive_partitioning = true)").fetchall()[0][0]
        want = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        assert got == want == info["rows"], table
        if info["partition"] and want:
            months = duckdb.sql(f"SELECT count(DISTINCT lake_month) FROM read_parquet("
                                f"'{files}', hive_partitioning = true)").fetchall()[0][0]
            assert months == len(list((lake / table).glob("lake_month=*")))
    # the same rows, not just as many: the incidents' own columns
    got = duckdb.sql(f"SELECT * EXCLUDE (lake_month) FROM read_parquet("
                     f"'{lake}/incidents/**/*.parquet', hive_partitioning = true) "
                     "ORDER BY id").df()
    want = con.execute("SELECT * FROM incidents ORDER BY id").df()
    con.close()
    assert got.reset_index(drop=True).equals(want.reset_index(drop=True))
