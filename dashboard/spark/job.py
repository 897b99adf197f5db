"""The Spark job: the full summary refresh over the Parquet lake, one Parquet table each.

:func:`session` starts a SparkSession for a master URL (``local[2]``, ``spark://host:7077``,
``yarn``) with the store's time zone as ``spark.sql.session.timeZone``, Spark's UI off and
few shuffle partitions (the summaries are small next to the facts). :func:`build` registers
the lake's tables as views, runs the refresh's statements (:func:`sqlport.plan`, ported by
:func:`sqlport.port`) on DataFrames:

* ``INSERT INTO t [(cols)] SELECT ...``: the rows are cast to t's column types (from the
  lake manifest) and appended to t's DataFrame, which becomes the view ``t``;
* ``DELETE FROM t [WHERE c]``: t becomes the rows where ``c`` is not true;
* ``CREATE TEMP TABLE|VIEW x AS ...``: the view ``x`` (persisted), ``DROP``: gone;

and writes every summary table to ``<out>/<table>/`` as Parquet. Every step's result is
written (``<out>/_work/``) and read back before the next: later plans read a file instead
of an ever longer lineage (caching them instead made Spark's planner the bottleneck), and
a cluster keeps each step on shared storage. Timestamps stay
wall-clock (``TIMESTAMP_NTZ``, as DuckDB's ``TIMESTAMP``); a Spark ``TIMESTAMP`` a function
returns (``date_trunc``) is turned back into wall-clock time in the store's zone. Nothing
here needs a jar beyond Spark's own: the lake and the output are plain Parquet.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dashboard.spark import sqlport
from dashboard.spark.lake import read_manifest

# DuckDB column type -> Spark SQL type of the summary tables
TYPES = {"BIGINT": "bigint", "INTEGER": "int", "SMALLINT": "smallint", "DOUBLE": "double",
         "VARCHAR": "string", "DATE": "date", "TIMESTAMP": "timestamp_ntz",
         "BOOLEAN": "boolean", "HUGEINT": "decimal(38,0)", "FLOAT": "float"}

QUIET_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    # small tables, wide queries: compiling whole-stage code costs more than it saves
    "spark.sql.codegen.wholeStage": "false",
}


class SparkBuildError(RuntimeError):
    """The Spark job failed; nothing was loaded."""


def session(master: str, timezone: str, conf: dict[str, str] | None = None,
            app: str = "gridcmd-summaries"):
    """A SparkSession on ``master`` with the store's time zone (see the module)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional dependency
        raise SparkBuildError("pyspark is not installed: pip install 'gridcommand[spark]' "
                              "(needs Java 17+)") from exc
    builder = SparkSession.builder.master(master).appName(app)
    for key, value in {**QUIET_CONF, "spark.sql.session.timeZone": timezone,
                       **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # no Java, a master that does not answer, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SparkBuildError(f"Spark did not start on {master}: {first}") from exc
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _spark_type(duck: str) -> str:
    if duck.startswith("DECIMAL"):
        return duck.lower()
    try:
        return TYPES[duck]
    except KeyError:
        raise SparkBuildError(f"no Spark type for the summary column type {duck}") from None


def build(spark, lake: str | Path, out: str | Path) -> list[str]:
    """Run the full refresh on the lake and write each summary table under ``out``.

    Returns the tables written. Raises :class:`SparkBuildError` (with Spark's message) on
    any failure; ``out`` may then hold some tables, never a load.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    lake = Path(lake)
    manifest = read_manifest(lake)
    targets = manifest["targets"]
    try:
        for table, info in manifest["tables"].items():
            df = spark.read.parquet(str(lake / table))
            if info["partition"]:
                df = df.drop(info["partition"])
            df.createOrReplaceTempView(table)

        schemas = {t: StructType.fromDDL(", ".join(f"`{c}` {_spark_type(d)}"
                                                    for c, d, _ in cols))
                   for t, cols in targets.items()}
        out = Path(out)
        work = out / "_work"
        versions: dict[str, Path | None] = {}
        serial = iter(range(1_000_000))

        def put(table, df):
            """Write the table's new state and make the view read it back: every step
            is materialised once, so later plans stay small (no growing lineage)."""
            if df is None:
                versions[table] = None
                spark.createDataFrame([], schemas[table]).createOrReplaceTempView(table)
                return
            path = work / f"{table}.{next(serial)}"
            df.write.parquet(str(path))
            versions[table] = path
            spark.read.parquet(str(path)).createOrReplaceTempView(table)

        for table in targets:
            put(table, None)

        for step in sqlport.plan():
            for statement in sqlport.statements(step.text):
                op = sqlport.port(statement, step.params)
                if op.op == "skip":
                    continue
                if op.op == "temp":
                    path = work / f"{op.table}.{next(serial)}"
                    spark.sql(op.query).write.parquet(str(path))
                    spark.read.parquet(str(path)).createOrReplaceTempView(op.table)
                elif op.op == "drop":
                    spark.catalog.dropTempView(op.table)
                elif op.op == "delete":
                    if op.where is None or versions[op.table] is None:
                        put(op.table, None)
                    else:
                        put(op.table, spark.sql(f"SELECT * FROM `{op.table}` "
                                                f"WHERE NOT coalesce(({op.where}), false)"))
                else:  # insert
                    rows = spark.sql(op.query)
                    rows = rows.toDF(*[f"_c{i}" for i in range(len(rows.columns))])
                    columns = op.columns or [c for c, _, _ in targets[op.table]]
                    if len(columns) != len(rows.columns):
                        raise SparkBuildError(f"{step.name}: {len(rows.columns)} values for "
                                              f"{len(columns)} columns of {op.table}")
                    where = {c: i for i, c in enumerate(columns)}
                    cast = [
                        (F.col(f"_c{where[f.name]}") if f.name in where else F.lit(None))
                        .cast(f.dataType).alias(f.name)
                        for f in schemas[op.table].fields]
                    rows = rows.select(*cast)
                    if versions[op.table] is not None:
                        rows = spark.read.parquet(str(versions[op.table])).unionByName(rows)
                    put(op.table, rows)

        for table in targets:
            final = out / table
            if versions[table] is None:
                spark.createDataFrame([], schemas[table]).write.parquet(str(final))
            else:
                versions[table].rename(final)
        shutil.rmtree(work, ignore_errors=True)
        return list(targets)
    except SparkBuildError:
        raise
    except Exception as exc:  # Spark's AnalysisException, Py4JJavaError, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SparkBuildError(f"Spark job failed: {first}") from exc
