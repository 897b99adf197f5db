"""The full summary refresh as a list of statements, and their port to Spark SQL.

:func:`plan` lists the statements :func:`dashboard.kpi.summaries.refresh_summaries` runs, in
its order, from the same query files (``queries/summary/*.sql``, ``analysis/fill.sql``,
``analysis/period_fill.sql``) and the same generated rollup blocks
(``dashboard/kpi/rollup_sql.py``). Nothing is copied: a change to a query changes both
engines. :func:`port` parses a statement with sqlglot as DuckDB and writes it as Spark SQL,
after the rewrites of :data:`REWRITES` (where sqlglot's own transpilation is wrong or
missing for these queries):

``epoch``
    ``epoch(ts)`` (DuckDB: seconds with fractions, as DOUBLE, of a wall-clock TIMESTAMP)
    becomes ``timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', ts) / 1e6``;
    sqlglot writes ``unix_timestamp(ts)``, whole seconds read in the session time zone.
``generate_series``
    ``FROM generate_series(a, b, step) AS t(m)`` becomes ``FROM (SELECT explode(sequence(a,
    b, step)) AS m) AS t``; sqlglot loses the column alias.
``unnest``
    Several ``unnest([...])`` in one SELECT list (DuckDB zips them) become one generator,
    ``inline(arrays_zip(...)) AS (a, b, ...)``; Spark allows one generator per SELECT and
    sqlglot writes one ``explode`` each.
``log10``
    ``log10(x)`` stays ``log10(x)``; sqlglot writes ``log(10, x)`` (ln x / ln 10), which
    differs in the last bit and moves values across a histogram bin's edge.
``infinity``
    ``'infinity'::TIMESTAMP`` (an open case's ``open_until``) has no Spark value: it becomes
    NULL, and :data:`INFINITE` names the columns whose NULLs are loaded back as
    ``'infinity'``.
``parameters``
    ``$name`` becomes a typed literal of the value the plan gives it.

Statements are DuckDB's: ``DELETE`` (with or without WHERE), ``INSERT INTO t [(cols)]
SELECT ...``, ``CREATE [OR REPLACE] TEMP TABLE|VIEW x AS SELECT ...``, ``DROP`` and the
row-count ``SELECT``s; :mod:`dashboard.spark.job` runs them on DataFrames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp

import dashboard.kpi  # noqa: F401  (registers the rollups' generated blocks)
from dashboard.kpi import summaries as S
from queries import names as Q
from queries import sql

# the day before every stored day: the period tables' full refill (summaries._FIRST_DAY)
FULL_SINCE = date(1900, 1, 1)

# (table, column) whose NULLs from Spark are DuckDB's 'infinity'::TIMESTAMP (rewrite
# "infinity"); the load restores them
INFINITE: dict[str, tuple[str, ...]] = {
    "open_cases": ("open_until",),
    "open_hazards": ("open_until",),
    "open_alerts": ("open_until",),
}

REWRITES = ("epoch", "generate_series", "unnest", "log10", "infinity", "parameters",
            "materialized")

# the schemas of every table the refresh fills (CREATE TABLE texts, DuckDB)
SCHEMAS = (Q.SUMMARY_SCHEMA, Q.ANALYSIS_SCHEMA, Q.OVERVIEW_TABLES_SCHEMA,
           Q.ANALYSIS_PERIOD_SCHEMA)


def targets() -> tuple[str, ...]:
    """Every table the full refresh fills, in the order it fills them."""
    return (*S.SUMMARY_TABLES, *S.ANALYSIS_TABLES, *S.OVERVIEW_TABLES, *S.PERIOD_TABLES)


@dataclass(frozen=True)
class Step:
    """One query file of the refresh: its text (slots filled) and its parameters."""
    name: str
    text: str
    params: dict = field(default_factory=dict)


def plan() -> list[Step]:
    """The full refresh's query files in :func:`refresh_summaries`' order."""
    steps = []
    for table in S.SUMMARY_TABLES:
        if table in S.LEVEL_SLOTS:
            steps.append(Step(Q.SUMMARY_LEVEL_DAILY, sql(Q.SUMMARY_LEVEL_DAILY,
                                                         **S.LEVEL_SLOTS[table])))
        else:
            steps.append(Step(Q.SUMMARY[table], sql(Q.SUMMARY[table])))
    steps.append(Step(Q.ANALYSIS_FILL, sql(Q.ANALYSIS_FILL, **S.FILL_ALL)))
    for table in S.OPEN_TABLES:
        steps.append(Step(Q.SUMMARY[table], sql(Q.SUMMARY[table])))
    steps.append(Step(Q.SUMMARY_CASE_DURATIONS, sql(Q.SUMMARY_CASE_DURATIONS)))
    steps.append(Step(Q.ANALYSIS_PERIOD_FILL, sql(Q.ANALYSIS_PERIOD_FILL),
                      {"since": FULL_SINCE}))
    return steps


def statements(text: str) -> list[str]:
    """A query file's statements, split as :func:`queries.script` splits them."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s for s in re.split(r";[ \t]*\n", body + "\n") if s.strip()]


# --- one statement -------------------------------------------------------------------------

@dataclass
class Ported:
    """A DuckDB statement as the Spark job runs it.

    ``op``: ``insert`` (``table``, ``columns`` or None, ``query``), ``delete`` (``table``,
    ``where`` or None), ``temp`` (``table``, ``query``: a TEMP table or view), ``drop``
    (``table``) or ``skip`` (a row count)."""
    op: str
    table: str = ""
    query: str = ""
    columns: list[str] | None = None
    where: str | None = None


def _spark(node: exp.Expression) -> str:
    return node.sql(dialect="spark", identify=True)


def port(statement: str, params: dict | None = None) -> Ported:
    """Parse one DuckDB statement of the plan and write it for Spark (see the module)."""
    tree = sqlglot.parse_one(statement, read="duckdb")
    tree = rewrite(tree, params or {})
    if isinstance(tree, exp.Select) and not isinstance(tree.parent, exp.Insert):
        return Ported("skip")
    if isinstance(tree, exp.Delete):
        where = tree.args.get("where")
        return Ported("delete", table=tree.this.name,
                      where=_spark(where.this) if where is not None else None)
    if isinstance(tree, exp.Insert):
        target = tree.this
        columns = None
        if isinstance(target, exp.Schema):
            columns = [c.name for c in target.expressions]
            target = target.this
        return Ported("insert", table=target.name, columns=columns,
                      query=_spark(tree.expression))
    if isinstance(tree, exp.Create):
        kind = tree.args.get("kind", "").upper()
        props = tree.args.get("properties")
        temporary = props is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in props.expressions)
        if kind in ("TABLE", "VIEW") and temporary and tree.expression is not None:
            return Ported("temp", table=tree.this.name, query=_spark(tree.expression))
    if isinstance(tree, exp.Drop):
        return Ported("drop", table=tree.find(exp.Table).name)
    raise ValueError(f"statement not supported by the Spark port: {statement.strip()[:80]}")


# --- the rewrites --------------------------------------------------------------------------

_EPOCH = "timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', x) / 1e6"


def rewrite(tree: exp.Expression, params: dict) -> exp.Expression:
    """Apply :data:`REWRITES` to a parsed DuckDB statement (in place; returns it)."""
    for node in list(tree.find_all(exp.TimeToUnix)):  # epoch
        new = sqlglot.parse_one(_EPOCH, read="spark")
        new.find(exp.Column).replace(node.this.copy())
        node.replace(exp.Paren(this=new))
    for select in list(tree.find_all(exp.Select)):  # unnest
        _zip_unnests(select)
    for node in list(tree.find_all(exp.GenerateSeries)):  # generate_series
        table = node.parent
        if not isinstance(table, exp.Table):
            raise ValueError("generate_series outside FROM is not ported")
        alias = table.args.get("alias")
        column = alias.columns[0].name if alias is not None and alias.columns else "generate_series"
        seq = exp.Anonymous(this="sequence", expressions=[
            node.args["start"].copy(), node.args["end"].copy(), node.args["step"].copy()])
        inner = exp.select(exp.alias_(exp.Explode(this=seq), column))
        table.replace(exp.Subquery(this=inner, alias=exp.TableAlias(
            this=exp.to_identifier(alias.name if alias is not None else "t"))))
    for node in list(tree.find_all(exp.Log)):  # log10
        base = node.args.get("expression") is not None and node.this
        if isinstance(base, exp.Literal) and base.name == "10":
            node.replace(exp.Anonymous(this="log10", expressions=[node.expression.copy()]))
    for node in list(tree.find_all(exp.Cast)):  # infinity
        if (isinstance(node.this, exp.Literal) and node.this.is_string
                and node.this.name.lower() in ("infinity", "-infinity")
                and node.to.is_type(exp.DataType.Type.TIMESTAMP,
                                    exp.DataType.Type.TIMESTAMPNTZ)):
            node.replace(exp.Cast(this=exp.null(), to=node.to.copy()))
    for node in list(tree.find_all(exp.CTE)):  # materialized: DuckDB's hint, not Spark SQL
        node.set("materialized", None)
    for node in list(tree.find_all(exp.Placeholder)):  # parameters
        name = node.name
        if name not in params:
            raise ValueError(f"parameter ${name} has no value in the plan")
        node.replace(_literal(params[name]))
    return tree


def _literal(value) -> exp.Expression:
    if isinstance(value, date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()),
                        to=exp.DataType.build("DATE"))
    if isinstance(value, bool) or value is None:
        return exp.Boolean(this=value) if value is not None else exp.null()
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _zip_unnests(select: exp.Select) -> None:
    """``unnest(a) AS x, unnest(b) AS y`` (adjacent, in one SELECT list) →
    ``inline(arrays_zip(a, b)) AS (x, y)``."""
    items = select.expressions
    spots = [i for i, e in enumerate(items)
             if isinstance(e, exp.Alias) and isinstance(e.this, exp.Explode | exp.Unnest)]
    if not spots:
        return
    if spots != list(range(spots[0], spots[0] + len(spots))):
        raise ValueError("unnest: the port zips adjacent unnests only")
    arrays = []
    for i in spots:
        inner = items[i].this
        arrays.append((inner.this if isinstance(inner, exp.Explode)
                       else inner.expressions[0]).copy())
    names = [exp.to_identifier(items[i].alias) for i in spots]
    gen = exp.Aliases(this=exp.Anonymous(this="inline", expressions=[
        exp.Anonymous(this="arrays_zip", expressions=arrays)]), expressions=names)
    new = items[:spots[0]] + [gen] + items[spots[-1] + 1:]
    select.set("expressions", new)


def sources() -> tuple[str, ...]:
    """The store tables the refresh reads and does not fill (the lake's tables), sorted."""
    made = set(targets())
    read: set[str] = set()
    for step in plan():
        for statement in statements(step.text):
            tree = sqlglot.parse_one(statement, read="duckdb")
            if isinstance(tree, exp.Create):
                made.add(tree.this.name)
            ctes = {c.alias for c in tree.find_all(exp.CTE)}
            for table in tree.find_all(exp.Table):
                if isinstance(table.this, exp.Identifier) and table.name not in ctes:
                    read.add(table.name)
    return tuple(sorted(read - made))
