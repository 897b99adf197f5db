"""Spark parity: every summary table built by Spark (local mode) over the Parquet lake equals
DuckDB's own refresh, row for row; a failed Spark run or load leaves the store untouched.

One Spark session and one Spark build per module (the JVM is slow to start); the store is
a copy of the small ingest demo store. Integers, strings, dates, booleans and timestamps
must be equal; DOUBLE columns (sums of seconds and hours) equal within 1e-9 relative (the
engines add in different orders).
"""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark")

from dashboard.cli import main  # noqa: E402
from dashboard.spark import build_summaries, job, lake, sqlport  # noqa: E402

TIMEZONE = "Asia/Shanghai"  # the demo store's


@pytest.fixture(scope="module")
def spark():
    session = job.session("local[2]", TIMEZONE, {"spark.sql.shuffle.partitions": "1",
                                                 "spark.default.parallelism": "2"})
    yield session
    session.stop()


def _copy(src, dst):
    shutil.copy(src, dst)
    return dst


@pytest.fixture(scope="module")
def built(ingest_store, tmp_path_factory, spark):
    """(DuckDB-refreshed store, Spark-built store, its lake, the Spark run's result)."""
    folder = tmp_path_factory.mktemp("spark")
    duck = _copy(ingest_store, folder / "duck.duckdb")
    sparked = _copy(ingest_store, folder / "spark.duckdb")
    assert duckdb.connect(str(sparked), read_only=True).execute(
        "SELECT value FROM meta WHERE key = 'timezone'").fetchall()[0][0] == TIMEZONE
    # empty the Spark copy's summaries: whatever is there afterwards came from Spark
    con = duckdb.connect(str(sparked))
    for table in sqlport.targets():
        con.execute(f"DELETE FROM {table}")
    con.close()
    build_summaries(duck, "duckdb")
    result = build_summaries(sparked, "spark", lake=folder / "lake", spark=spark)
    return duck, sparked, folder / "lake", result


def _frame(con, table: str) -> pd.DataFrame:
    """The table's rows in a canonical order (timestamps as text: 'infinity' included)."""
    types = con.execute(f"DESCRIBE {table}").fetchall()
    cols = [f"CAST({name} AS VARCHAR) AS {name}" if kind.startswith("TIMESTAMP") else name
            for name, kind, *_ in types]
    df = con.execute(f"SELECT {', '.join(cols)} FROM {table}").df()
    floats = [c for c in df.columns if df[c].dtype.kind == "f"]
    keys = {f"_k_{c}": df[c].round(6) for c in floats}
    order = [c for c in df.columns if c not in floats] + list(keys)
    return (df.assign(**keys).sort_values(order, na_position="last", kind="mergesort")
            .drop(columns=list(keys)).reset_index(drop=True))


def _assert_same(a: pd.DataFrame, b: pd.DataFrame, table: str) -> None:
    assert list(a.columns) == list(b.columns), table
    assert len(a) == len(b), f"{table}: {len(a)} rows by DuckDB, {len(b)} by Spark"
    floats = [c for c in a.columns if a[c].dtype.kind == "f" or b[c].dtype.kind == "f"]
    exact = [c for c in a.columns if c not in floats]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_dtype=False, obj=table)
    for c in floats:
        x, y = a[c].to_numpy(float), b[c].to_numpy(float)
        assert np.allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True), f"{table}.{c}"


@pytest.mark.parametrize("table", sqlport.targets())
def test_spark_table_equals_duckdb(built, table):
    duck, sparked, _, _ = built
    with duckdb.connect(str(duck), read_only=True) as a, \
            duckdb.connect(str(sparked), read_only=True) as b:
        want, got = _frame(a, table), _frame(b, table)
    _assert_same(want, got, table)


def test_the_run_filled_every_table_and_has_rows(built):
    _, _, _, result = built
    assert set(result["counts"]) == set(sqlport.targets())
    for table in ("incident_daily", "village_daily", "city_daily", "handoff_daily",
                  "timeliness_city", "case_durations", "open_cases"):
        assert result["counts"][table] > 0, table


def test_spark_incident_counts_match_the_raw_rows(built):
    """Independent of both engines' SQL: cases reported and closed per grid and day, from
    the raw incidents with pandas, against the Spark-built incident_daily."""
    _, sparked, _, _ = built
    with duckdb.connect(str(sparked), read_only=True) as con:
        raw = con.execute("SELECT grid_code, reported_at, closed_at, is_void "
                          "FROM incidents").df()
        daily = con.execute("SELECT grid_code, day, sum(reported) AS reported, "
                            "sum(closed) AS closed FROM incident_daily "
                            "GROUP BY ALL").df()
    daily["day"] = pd.to_datetime(daily["day"])
    reported = raw.groupby([raw.grid_code, raw.reported_at.dt.normalize().rename("day")]) \
        .size().rename("want")
    live = raw[~raw.is_void & raw.closed_at.notna()]
    closed = live.groupby([live.grid_code, live.closed_at.dt.normalize().rename("day")]) \
        .size().rename("want")
    got = daily.set_index(["grid_code", "day"])
    r = got["reported"][got["reported"] > 0]
    c = got["closed"][got["closed"] > 0]
    assert r.sort_index().astype(int).to_dict() == reported.sort_index().to_dict()
    assert c.sort_index().astype(int).to_dict() == closed.sort_index().to_dict()
    # the city's running backlog ends where the raw rows say: dispatched minus handled
    with duckdb.connect(str(sparked), read_only=True) as con:
        backlog = con.execute("SELECT sum(backlog) FROM city_daily WHERE day = "
                              "(SELECT max(day) FROM city_daily)").fetchall()[0][0]
        raw_backlog = con.execute(
            "SELECT count(*) FROM incidents WHERE NOT is_void AND dispatched_at IS NOT NULL "
            "AND handled_at IS NULL").fetchall()[0][0]
    assert backlog == raw_backlog


def _snapshot(path):
    with duckdb.connect(str(path), read_only=True) as con:
        version = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()
        return version, {t: _frame(con, t) for t in sqlport.targets()}


def _assert_untouched(before, path):
    version, tables = _snapshot(path)
    assert version == before[0]
    for table, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[1][table], obj=table)


def test_a_failed_spark_run_leaves_the_store_untouched(built, spark, tmp_path):
    _, sparked, _, _ = built
    store = _copy(sparked, tmp_path / "s.duckdb")
    before = _snapshot(store)
    broken = tmp_path / "lake"
    lake.export_lake(store, broken)
    shutil.rmtree(broken / "escalations")  # a lost table on the shared storage
    with pytest.raises(job.SparkBuildError, match="Spark job failed"):
        build_summaries(store, "spark", lake=broken, export=False, spark=spark)
    _assert_untouched(before, store)


def test_a_failed_load_rolls_back_every_table(built, tmp_path):
    _, sparked, lake_dir, _ = built
    store = _copy(sparked, tmp_path / "s.duckdb")
    before = _snapshot(store)
    manifest = lake.export_lake(store, tmp_path / "lake")
    out = tmp_path / "out"
    shutil.copytree(lake_dir / "_summaries", out)
    last = sqlport.targets()[-1]  # every other table is deleted and refilled before it
    for f in (out / last).glob("*.parquet"):
        f.write_bytes(b"not parquet")
    with pytest.raises(duckdb.Error):
        lake.load_summaries(store, out, manifest)
    _assert_untouched(before, store)
    shutil.rmtree(out / "city_daily")
    with pytest.raises(lake.LakeError, match="city_daily"):
        lake.load_summaries(store, out, manifest)
    _assert_untouched(before, store)


def test_summaries_of_an_older_lake_are_refused(built, tmp_path):
    _, sparked, lake_dir, _ = built
    store = _copy(sparked, tmp_path / "s.duckdb")
    manifest = lake.export_lake(store, tmp_path / "lake")
    with duckdb.connect(str(store)) as con:  # a write after the export
        con.execute("INSERT INTO meta VALUES ('data_version', '99') ON CONFLICT (key) "
                    "DO UPDATE SET value = '99'")
    before = _snapshot(store)
    with pytest.raises(lake.LakeError, match="changed since the lake was exported"):
        lake.load_summaries(store, lake_dir / "_summaries", manifest)
    _assert_untouched(before, store)


def test_cli_says_what_failed_and_exits_non_zero(built, tmp_path, capsys):
    _, sparked, _, _ = built
    store = _copy(sparked, tmp_path / "s.duckdb")
    before = _snapshot(store)
    code = main(["summaries", "--store", str(store), "--engine", "spark", "--no-export",
                 "--lake", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 2
    assert "no lake at" in err and "summaries are unchanged" in err
    _assert_untouched(before, store)
    assert main(["summaries", "--store", str(store), "--lake", str(tmp_path)]) == 2
    assert "--engine spark" in capsys.readouterr().err


def test_cli_duckdb_engine_refreshes_in_place(built, tmp_path, capsys):
    duck, _, _, _ = built
    store = _copy(duck, tmp_path / "s.duckdb")
    before = _snapshot(store)
    assert main(["summaries", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "incident_daily" in out and "refresh" in out
    version, tables = _snapshot(store)
    assert version != before[0]  # caches keyed by the store version move on
    for table, frame in tables.items():
        _assert_same(before[1][table], frame, table)
