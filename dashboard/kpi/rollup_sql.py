"""The region rollups' column lists as SQL, generated from the KPI registry.

``dashboard.kpi.registry.ROLLUP_MEASURES`` is the one home of the measure columns of
``village_daily``, ``town_daily``, ``county_daily`` and ``city_daily``. The query files name
only the shape of a list; this module writes the list, registered with
:func:`queries.generated` so a file includes it like any other block:

``-- @include measures [part=all|flows|stocks] [form=…] [sep=comma|or]``
    The columns, each written by one form of :data:`FORMS` (``{c}`` the column, ``{t}``
    its type, ``{z}`` the zero of its type), joined by commas (``sep=or``: by ``OR``, for
    a condition such as "some stock changed that day"). Used by the CREATE TABLEs
    (``queries/summary/schema.sql``), the INSERT column lists, the sums of a GROUP BY, the
    running sums and the delta arithmetic of the incremental refresh.
``-- @include measure_arms [family=all|incident] [incident=incident_daily|ingest_incident_delta]``
    The UNION ALL arms that turn the grid-level daily tables into per-village, per-day
    measure rows (``queries/summary/village_nets.sql``): one arm per family with measures, each
    column its family's expression or 0. ``family=incident`` gives the incident arm only,
    and ``incident=`` names the table it reads (the additive refresh reads the new cases'
    rows).

The words an include passes are checked against these fixed lists; they never come from
input.
"""

from __future__ import annotations

from dashboard.kpi.registry import FAMILIES, ROLLUP_MEASURES, Measure
from queries import generated

FORMS: dict[str, str] = {
    "name": "{c}",                                        # a column list
    "define": "{c} {t} NOT NULL",                         # CREATE TABLE
    "zero": "{z}",                                        # a row of zeros
    "sum": "sum({c}) AS {c}",                             # GROUP BY
    # a running sum over w, exact (counts far below 2**53) and summed as DOUBLE, which
    # DuckDB's window runs ~2x faster than the HUGEINT of sum(BIGINT)
    "running": "CAST(sum(CAST({c} AS DOUBLE)) OVER w AS {t}) AS {c}",
    "moved": "{c} <> 0",                                  # a change that day (sep=or)
    "sum_moved": "sum({c}) <> 0",                         # the same in a HAVING (sep=or)
    "of_p": "p.{c}",                                      # from alias p
    "carry_m": "coalesce(m.{c}, {z}) AS {c}",             # LEFT JOINed row m, or zero
    "cumulative": "sum({c}) OVER w AS {c}",               # running sum over w
    "negate": "-{c} AS {c}",                              # a row taken away
    "change": "{c} - coalesce(lag({c}) OVER w, 0) AS {c}",  # a running sum's day change
    "unchange": "coalesce(lag({c}) OVER w, 0) - {c} AS {c}",  # the same, taken away
    "carry": "coalesce(p.{c}, 0)",                        # ASOF-joined previous row p
    "of_c": "c.{c}",                                      # from alias c
    "add_d": "{c} = l.{c} + d.{c}",                       # UPDATE l SET … FROM d
    "add_x": "{c} = l.{c} + x.{c}",                       # UPDATE l SET … FROM x
}
PARTS = ("all", "flows", "stocks")
SEPS = {"comma": ",", "or": " OR"}
ARM_FAMILIES = ("all", "incident")
INCIDENT_TABLES = ("incident_daily", "ingest_incident_delta")
INDENT = " " * 7
WIDTH = 92


def _choose(name: str, word: str, allowed) -> str:
    if word not in allowed:
        raise ValueError(f"generated block: {name} takes one of {sorted(allowed)}, "
                         f"not {word!r}")
    return word


def columns(part: str = "all") -> tuple[Measure, ...]:
    """The rollup measures of a part: all of them, the flows or the stocks (table order)."""
    _choose("part", part, PARTS)
    return tuple(m for m in ROLLUP_MEASURES
                 if part == "all" or m.stock == (part == "stocks"))


def _wrap(items: list[str], indent: str = INDENT, sep: str = ",") -> str:
    """Items joined by ``sep`` (commas), as many to a line as fit."""
    lines, line = [], ""
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else "")
        if line and len(indent) + len(line) + 1 + len(piece) > WIDTH:
            lines.append(indent + line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    if line:
        lines.append(indent + line)
    return "\n".join(lines)


@generated("measures")
def measures(part: str = "all", form: str = "name", sep: str = "comma") -> str:
    """The text of ``-- @include measures``: see the module docstring."""
    template = FORMS[_choose("form", form, FORMS)]
    joiner = SEPS[_choose("sep", sep, SEPS)]
    items = [template.format(c=m.column, t=m.type, z=m.zero) for m in columns(part)]
    if form == "define":  # one column a line, as a CREATE TABLE is read
        return ",\n".join(f"    {item}" for item in items)
    return _wrap(items, sep=joiner)


def _arm(family: str, table: str) -> str:
    items = ["substr(grid_code, 1, 12) AS region", "day"]
    for m in ROLLUP_MEASURES:
        if m.family != family:
            items.append(f"{m.zero} AS {m.column}")
        elif m.expr == m.column:
            items.append(m.column)
        else:
            items.append(f"{m.expr} AS {m.column}")
    return ("    SELECT " + _wrap(items, INDENT + "   ").lstrip() + "\n"
            f"    FROM {table}\n"
            "    WHERE grid_code IN (SELECT grid_code FROM grid_scope)")


@generated("measure_arms")
def measure_arms(family: str = "all", incident: str = "incident_daily") -> str:
    """The text of ``-- @include measure_arms``: see the module docstring."""
    _choose("family", family, ARM_FAMILIES)
    _choose("incident", incident, INCIDENT_TABLES)
    families = [f for f in FAMILIES if any(m.family == f for m in ROLLUP_MEASURES)]
    if family != "all":
        families = [family]
    arms = [_arm(f, incident if f == "incident" else FAMILIES[f][0]) for f in families]
    return "\n    UNION ALL\n".join(arms)
