"""Summary tables built by another engine: Apache Spark over a Parquet lake (issue 16, part 3).

``gridcmd summaries --engine spark --master local[2]`` runs :func:`build_summaries`:

1. :func:`lake.export_lake`: the facts the summaries read, from one snapshot of the store,
   to Hive-partitioned Parquet (``<store>.lake/`` unless ``--lake``), with a manifest;
2. :func:`job.build`: the full refresh's own query files (``queries/summary``,
   ``queries/analysis``, the rollup blocks), ported to Spark SQL by :mod:`sqlport`, over
   the lake; each summary table written as Parquet (``<lake>/_summaries/``);
3. :func:`lake.load_summaries`: those tables into the store's summary tables in one
   transaction, if the store is still at the version the lake was exported from.

A failure in 1 or 2 leaves the store as it was; 3 commits everything or nothing.
``--engine duckdb`` (the default) is :func:`dashboard.kpi.summaries.refresh_summaries` on
the store itself. docs/deploy.md (Spark) lists what changes on a cluster.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

ENGINES = ("duckdb", "spark")


def default_lake(store: str | Path) -> Path:
    store = Path(store)
    return store.with_name(store.name + ".lake")


def refresh_duckdb(store: str | Path) -> dict[str, int]:
    """The full refresh on the store (one transaction) and one more store version."""
    from dashboard.kpi.summaries import refresh_summaries
    from dashboard.spark import sqlport
    from dashboard.store import Store
    from queries import names as Q
    from queries import sql

    with Store.open(store, read_only=False) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            refresh_summaries(con, transaction=False)
            con.execute(sql(Q.STORE_BUMP_VERSION))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in sqlport.targets()}


def build_summaries(store: str | Path, engine: str = "duckdb", *, master: str = "local[2]",
                    lake: str | Path | None = None, out: str | Path | None = None,
                    export: bool = True, conf: dict[str, str] | None = None,
                    spark=None) -> dict:
    """Rebuild the store's summary tables with ``engine``.

    Returns ``{"counts": rows per table, "seconds": {step: seconds}}``. ``spark``: a
    running SparkSession to use (tests), else one is started on ``master`` and stopped.
    Raises :class:`job.SparkBuildError` or :class:`lake.LakeError` with the store untouched.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine: one of {', '.join(ENGINES)}, not {engine!r}")
    seconds: dict[str, float] = {}
    if engine == "duckdb":
        t = time.perf_counter()
        counts = refresh_duckdb(store)
        seconds["refresh"] = time.perf_counter() - t
        return {"counts": counts, "seconds": seconds}

    from dashboard.spark import job
    from dashboard.spark import lake as lakes

    lake = Path(lake) if lake else default_lake(store)
    out = Path(out) if out else lake / "_summaries"
    t = time.perf_counter()
    if export:
        manifest = lakes.export_lake(store, lake)
    else:
        manifest = lakes.read_manifest(lake)
    seconds["export"] = time.perf_counter() - t
    if out.exists():
        shutil.rmtree(out)
    own = spark is None
    t = time.perf_counter()
    if own:
        spark = job.session(master, manifest["timezone"], conf)
    seconds["spark start"] = time.perf_counter() - t
    try:
        t = time.perf_counter()
        job.build(spark, lake, out)
        seconds["spark build"] = time.perf_counter() - t
    finally:
        if own:
            spark.stop()
    t = time.perf_counter()
    counts = lakes.load_summaries(store, out, manifest)
    seconds["load"] = time.perf_counter() - t
    return {"counts": counts, "seconds": seconds}
