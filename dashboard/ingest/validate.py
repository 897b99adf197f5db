"""Vectorised validation: typed columns, then one CASE per row naming the first broken rule.

One numpy pass and one SQL statement per batch, no per-row Python:

1. the typing query (``Plan.select``; stored as ``ingest_typed`` only for a kind whose key
   query completes it): every target field parsed from its source column (value maps joined,
   defaults bound, times tried as ISO 8601 then the mapping's ``time_format``), keeping the
   source text of parsed fields so an unparseable value is reported as written. Times are
   stored as wall time of the store's zone: a time with a UTC offset (``…T02:00:00Z``,
   ``+08:00``, ``-0500``) or an epoch is converted to it, a time without one is taken in
   the mapping's ``[source] timezone`` (default: the store's) and converted when that
   differs; ``o_<field>`` says which (true: had an offset, false: naive) for the counts in
   ``import_batches``. A time column read by two fields is parsed once.
2. coordinates (numpy): converted to WGS-84 from the mapping's CRS, checked against the
   area of the store (swapped latitude/longitude, metres of a projected CRS, far away) and
   assigned to grids by point-in-polygon (:mod:`dashboard.ingest.spatial`).
3. ``ingest_checked``, one statement over the typing query: the typed rows with
   ``_rule``, ``_col`` and ``_val``: the first rule a row breaks, the field and the
   offending value, NULL for good rows; a repeated natural key within the input is a
   ``duplicate_key`` for all but its first good row.

Identifiers in the generated SQL come from the kind definitions (code, not input); source
column names are quoted, every value from the input or the mapping is bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from dashboard.clock import DEFAULT_TIMEZONE
from dashboard.ingest import crs as crs_mod
from dashboard.ingest.kinds import CONTROL_CHARACTERS, EARLIEST, INT_MAX, Kind
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import FileError, Staged, quote
from queries import names as Q
from queries import parameters

TRUE_WORDS = ("1", "true", "t", "yes", "y", "是", "√")
FALSE_WORDS = ("0", "false", "f", "no", "n", "否", "×")
# a report stamped up to this much after the loader's clock is not "in the future"
FUTURE_SLACK_MINUTES = 10
# Part of a batch's idempotence key (with the file's and the mapping's hashes): raise it
# when a change of the rules or of parsing makes the same file and mapping load
# differently, so a rerun loads again instead of skipping the batches already logged.
RULES_VERSION = 4  # 2: UTC offsets converted to the store's zone, [source] timezone;
# 3: implausible_time, negative_value, number_out_of_range, control_characters;
# 4: a deadline written as a day only is the end of that day
# a time written with a UTC offset: a clock time, then Z, ±hh, ±hhmm, ±hh:mm or " UTC"
# (a code constant; DuckDB's TIMESTAMPTZ cast reads all of these)
OFFSET_RE = r"[0-9]:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?| ?UTC)$"
# a text DuckDB's TIMESTAMP cast can read at all: a day first (year, then month and day of
# one or two digits, separated alike by '-', '/', ' ' or '\\', the day not followed by a
# digit: DuckDB's Date::TryConvertDate), or its special words. A necessary condition: a
# value that fails it is never cast, so the failing ISO cast (~6x the cost of strptime)
# is skipped for values of a mapping's time_format (tests/unit/test_ingest_typing.py checks
# that the guard loses nothing)
ISO_LIKE_RE = (r"^[ \t\n\v\f\r]*-?[0-9]+[-/ \\][0-9]{1,2}[-/ \\][0-9]{1,2}([^0-9]|$)"
               r"|(?i:inf|epoch)")
# deadline fields: a value written as a day only means the end of that day
END_OF_DAY = ("deadline_at",)
DATE_ONLY_RE = r"^[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}$"
_DAY_END = "(INTERVAL 1 DAY - INTERVAL 1 MICROSECOND)"
AREA_MARGIN_DEG = 0.02
# fields holding codes a store's code_map translates, and which of its rows apply
CODE_FIELDS = {"grid_code": "c_grid_code.level = 'grid'",
               "region_code": "c_region_code.level <> 'grid'",
               "area_code": "true"}
# an area survey's area may be a grid or a region: one row per source code (a code listed
# at several levels is read as the lowest of them, the longest internal code)
CODE_SOURCES = {"area_code": "(SELECT source_code, arg_max(code, length(code)) AS code "
                             "FROM code_map GROUP BY source_code)"}
_TS_TYPES = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE")
_NUM_TYPES = ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT",
              "UBIGINT", "UINTEGER", "DECIMAL")


@dataclass
class Plan:
    """The typed-staging query of one (kind, mapping, file) and what it needs bound."""

    sql: str
    params: dict
    present: set[str]
    parsed: set[str]
    record_sql: str
    record_params: dict
    tz_fields: list[str] = field(default_factory=list)  # time fields with an o_ flag
    tz_assumed: str = ""  # the zone naive times are taken in
    select: str = ""  # the typing query itself, unordered (``sql`` stores it, in file order)
    # the typing query cut down to _r, the point, the grid code and the natural key, with
    # the joins they need and every join that may repeat a row (the code map's); the
    # coordinate checks and the placeholder scan read it; its parameters (without lo, hi)
    points: str = ""
    point_params: dict = field(default_factory=dict)


def _literal_list(values) -> str:
    # enum values are fixed by kinds.py (code); quoted defensively all the same
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def has_code_map(con) -> bool:
    """Whether the store translates source codes (a ``code_map`` from ``gridcmd import
    boundaries``; see ``queries/region/code_map_schema.sql``)."""
    from queries import sql

    return any(r[0] == "code_map" for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall())


def plan(kind: Kind, mapping: Mapping, staged: Staged, code_map: bool = False,
         store_tz: str = DEFAULT_TIMEZONE) -> Plan:
    """Build the SQL that types one batch of ``ingest_raw`` into ``ingest_typed``.

    With ``code_map`` (:func:`has_code_map`), a grid or region code that the store's
    ``code_map`` knows as a source code is typed as its internal code; any other code is
    kept as written, so a code in neither table still breaks ``unknown_grid_code`` or
    ``unknown_region_code`` with the value the file holds. Times are converted to
    ``store_tz`` (the store's zone, ``dashboard.clock.store_zone``): see the module
    docstring.

    Raises
    ------
    FileError
        A required field has neither a column in the file nor a default, or the mapping
        names a column the file does not have.
    """
    headers = staged.columns
    source_tz = mapping.timezone or store_tz
    params: dict = {"store_tz": store_tz}
    if source_tz != store_tz:
        params["src_tz"] = source_tz
    tz_fields: list[str] = []
    selects = ["r._r", "r._line"]
    joins = []
    present: set[str] = set()
    parsed: set[str] = set()
    # a time field read from the same text as an earlier one (a 311 export's CREATED_DATE
    # is both reported_at and registered_at) takes that field's parsed value and offset
    # flag instead of parsing the text again: field -> the earlier field
    same_time: dict[str, str] = {}
    parsed_times: dict[tuple[str, bool], str] = {}
    spans: dict[str, tuple[int, int]] = {}  # field -> where its select items, joins start
    for f in kind.fields:
        spans[f.name] = (len(selects), len(joins))
        src = mapping.columns.get(f.name)
        col = None
        if src is not None:
            if src in headers:
                col = headers[src]
            elif mapping.name != "identity":
                raise FileError(f"missing column {src!r} (mapped to {f.name}); the file has "
                                f"{sorted(headers)}")
        has_default = f.name in mapping.defaults
        if col is None and not has_default:
            selects.append(f"CAST(NULL AS {_sql_type(f.type)}) AS {f.name}")
            continue
        present.add(f.name)
        stype = staged.types.get(col, "VARCHAR") if col else "VARCHAR"
        native = col is not None and f.name not in mapping.values and (
            (f.type in ("ts", "date") and stype.upper().startswith(_TS_TYPES))
            or (f.type in ("double", "int") and stype.upper().startswith(_NUM_TYPES))
            or (f.type == "bool" and stype.upper() == "BOOLEAN"))
        if native:
            value = f"CAST(r.{quote(col)} AS {_sql_type(f.type)})"
            if f.type == "int":
                # a typed column's value may not fit INTEGER: NULL and number_out_of_range
                # (through its text, as for a parsed field), never an error for the batch
                value = f"TRY_CAST(r.{quote(col)} AS INTEGER)"
                selects.append(f"CAST(r.{quote(col)} AS VARCHAR) AS v_{f.name}")
                parsed.add(f.name)
            if f.type == "ts":
                # a typed time (Parquet): with a zone it is an instant, without one wall time
                # of the source's zone
                aware = "WITH TIME ZONE" in stype.upper()
                raw = f"r.{quote(col)}"
                if f.name in END_OF_DAY and stype.upper() == "DATE":
                    value = f"({value} + {_DAY_END})"  # a date deadline: its whole day
                value = (f"CAST(timezone($store_tz, {raw}) AS TIMESTAMP)" if aware
                         else _to_store(value, params))
                selects.append(f"CASE WHEN {raw} IS NOT NULL THEN {str(aware).lower()} END "
                               f"AS o_{f.name}")
                tz_fields.append(f.name)
            if has_default:  # an empty cell of a typed column takes the default too
                params[f"d_{f.name}"] = str(mapping.defaults[f.name])
                parsed_default = _parse(f.type, f"$d_{f.name}", mapping, params)
                value = f"coalesce({value}, {parsed_default.removeprefix('__parse__')})"
            selects.append(f"{value} AS {f.name}")
            continue
        text = f"nullif(trim(CAST(r.{quote(col)} AS VARCHAR)), '')" if col else "NULL"
        raw = text if col else (f"$d_{f.name}" if has_default else "NULL")
        if f.name in mapping.values:
            joins.append(f"LEFT JOIN (SELECT src, dst FROM ingest_values WHERE field = "
                         f"'{f.name}') AS m_{f.name} ON m_{f.name}.src = {text}")
            # a value mapped to "" is an empty value (e.g. 未接通 → no rating)
            text = f"nullif(coalesce(m_{f.name}.dst, {text}), '')"
        if has_default:
            params[f"d_{f.name}"] = str(mapping.defaults[f.name])
            text = f"coalesce({text}, $d_{f.name})"
        if f.name in mapping.add_unknown:
            # the value as the source wrote it (before the value map): an added value's name
            selects.append(f"{raw} AS _src_{f.name}")
        if code_map and f.name in CODE_FIELDS:
            source = CODE_SOURCES.get(f.name, "code_map")
            joins.append(f"LEFT JOIN {source} AS c_{f.name} ON c_{f.name}.source_code = "
                         f"{text} AND {CODE_FIELDS[f.name]}")
            text = f"coalesce(c_{f.name}.code, {text})"
        if f.type == "str":
            selects.append(f"{text} AS {f.name}")
            continue
        parsed.add(f.name)
        selects.append(f"{text} AS v_{f.name}")
        if f.type == "ts":
            tz_fields.append(f.name)
            first = parsed_times.setdefault((text, f.name in END_OF_DAY), f.name)
            if first != f.name:
                same_time[f.name] = first
                continue
            selects.append(f"__flag__{_offset_flag(f'v_{f.name}', mapping, params)} "
                           f"AS o_{f.name}")
            value = _parse(f.type, f"v_{f.name}", mapping, params, flag=f"o_{f.name}",
                           end_of_day=f.name in END_OF_DAY)
        else:
            value = _parse(f.type, f"v_{f.name}", mapping, params)
        selects.append(f"{value} AS {f.name}")
    ends = (len(selects), len(joins))
    major = mapping.taxonomy.get("category_major")
    if major:  # the 大类 of a category the mapping adds (dashboard/ingest/load.py)
        if major not in headers:
            raise FileError(f"missing column {major!r} ([taxonomy] category_major); the file "
                            f"has {sorted(headers)}")
        selects.append(f"nullif(trim(CAST(r.{quote(headers[major])} AS VARCHAR)), '') "
                       f"AS _tax_major")
    missing = [f.name for f in kind.fields if f.required and f.name not in present]
    if kind.point and "grid_code" not in present and not {"lon", "lat"} <= present:
        missing.append("grid_code or lon+lat")
    if missing:
        raise FileError(f"missing required column(s) for {kind.name}: {', '.join(missing)}"
                        f"; the file has {sorted(headers)} and the mapping maps "
                        f"{sorted(mapping.columns)}")
    # the parsed v_ columns are referenced by name in the parse expressions, which also
    # read the offset flags o_ computed from them: two subqueries
    inner = ", ".join(s for s in selects if not _is_parse(s) and not _is_flag(s))
    flags = ", ".join(["*"] + [s.removeprefix("__flag__") for s in selects if _is_flag(s)])
    outer = ", ".join(["*"] + [s.removeprefix("__parse__") for s in selects if _is_parse(s)])
    select = (f"SELECT {outer} FROM (SELECT {flags} FROM (SELECT {inner} FROM ingest_raw "
              f"AS r {' '.join(joins)} WHERE r._r >= $lo AND r._r < $hi) AS s0) AS s")
    if same_time:
        copies = ", ".join(f"{first} AS {f}, o_{first} AS o_{f}"
                           for f, first in same_time.items())
        select = f"SELECT *, {copies} FROM ({select}) AS s1"
    # the materialised ingest_typed keeps file order (a kind's key query reads it so): a
    # plain filtered scan keeps the insertion order; the value maps' joins may not, so
    # then sort. The rule query reads ``select`` directly (rows matched by _r, any order).
    order = " ORDER BY _r" if joins else ""
    sql = f"CREATE OR REPLACE TEMP TABLE ingest_typed AS {select}{order}"
    points = _points_select(kind, selects, joins, spans, ends) or select
    rec_params = {}
    pairs = []
    for i, (h, c) in enumerate(headers.items()):
        rec_params[f"h{i}"] = h
        pairs.append(f"$h{i}, CAST(r.{quote(c)} AS VARCHAR)")
    record_sql = f"json_object({', '.join(pairs)})" if pairs else "'{}'"
    used = parameters(sql)
    params = {k: v for k, v in params.items() if k in used or k in ("lo", "hi")}
    return Plan(sql=sql, params=params, present=present, parsed=parsed, record_sql=record_sql,
                record_params=rec_params, tz_fields=tz_fields, tz_assumed=source_tz,
                select=select, points=points,
                point_params={k: v for k, v in params.items() if k in parameters(points)
                              and k not in ("lo", "hi")})


POINT_FIELDS = ("lon", "lat", "grid_code")


def _points_select(kind: Kind, selects: list[str], joins: list[str],
                   spans: dict[str, tuple[int, int]], ends: tuple[int, int]) -> str:
    """The typing query of :func:`plan` cut down to ``_r``, the point, the grid code and
    the natural key ('' when a key is a time: its parse needs the offset flags). A field's
    joins are kept when it is needed or when one of them is a code map's (that may repeat
    a row; a value map's never does, it is one row per source value), so the rows are
    exactly the typing query's."""
    needed = {*POINT_FIELDS, *kind.key}
    if any(kind.field(k).type in ("ts", "date") for k in kind.key):
        return ""
    names = [f.name for f in kind.fields]
    items, parses, kept = ["r._r", "r._line"], [], []
    for i, name in enumerate(names):
        s0, j0 = spans[name]
        s1, j1 = spans[names[i + 1]] if i + 1 < len(names) else ends
        own = joins[j0:j1]
        if name in needed or any(f" AS c_{name} " in j for j in own):
            kept += own
        if name not in needed:
            continue
        for item in selects[s0:s1]:
            if _is_flag(item):
                return ""
            if _is_parse(item):
                parses.append(item.removeprefix("__parse__"))
            else:
                items.append(item)
    return (f"SELECT {', '.join(['*'] + parses)} FROM (SELECT {', '.join(items)} "
            f"FROM ingest_raw AS r {' '.join(kept)} WHERE r._r >= $lo AND r._r < $hi) AS s")


def tz_counts_sql(p: Plan) -> str:
    """A query over ``ingest_checked``: how many time values of the rows loaded had an
    offset (or were epochs: converted) and how many were naive (taken in
    ``p.tz_assumed``)."""
    if not p.tz_fields:
        return "SELECT 0, 0"
    offset = " + ".join(f"CAST(o_{f} IS TRUE AS INTEGER)" for f in p.tz_fields)
    naive = " + ".join(f"CAST(o_{f} IS FALSE AS INTEGER)" for f in p.tz_fields)
    return (f"SELECT coalesce(sum({offset}), 0), coalesce(sum({naive}), 0) "
            f"FROM ingest_checked WHERE _rule IS NULL")


def _is_parse(select: str) -> bool:
    return select.startswith("__parse__")


def _is_flag(select: str) -> bool:
    return select.startswith("__flag__")


def _to_store(ts: str, params: dict) -> str:
    """Naive wall time of the source's zone → naive wall time of the store's zone."""
    if "src_tz" not in params:
        return ts
    return f"CAST(timezone($store_tz, timezone($src_tz, {ts})) AS TIMESTAMP)"


def _has_zone_format(mapping: Mapping) -> bool:
    tf = mapping.time_format or ""
    return "%z" in tf or "%Z" in tf


def _offset_flag(v: str, mapping: Mapping, params: dict) -> str:
    """SQL: does the time text ``v`` carry its zone (an offset, an epoch)? NULL when empty."""
    tf = mapping.time_format
    if tf in ("epoch_ms", "epoch_s"):
        return f"CASE WHEN {v} IS NOT NULL THEN true END"
    flag = f"regexp_matches({v}, '{OFFSET_RE}')"
    if _has_zone_format(mapping):
        params["time_format"] = tf
        flag = f"({flag} OR TRY_STRPTIME({v}, $time_format) IS NOT NULL)"
    return f"CASE WHEN {v} IS NOT NULL THEN {flag} END"


def _sql_type(t: str) -> str:
    return {"str": "VARCHAR", "ts": "TIMESTAMP", "date": "DATE", "double": "DOUBLE",
            "int": "INTEGER", "bool": "BOOLEAN"}[t]


def _date_only(v: str, mapping: Mapping) -> str:
    """SQL: is the time text ``v`` a day without a clock time (``2024-01-11``,
    ``2024/1/11``, or any value of a ``time_format`` without hour, minute or second)?"""
    tf = mapping.time_format or ""
    if tf and tf not in ("epoch_ms", "epoch_s") and not any(
            code in tf for code in ("%H", "%I", "%M", "%S", "%T", "%R", "%c", "%X")):
        return "true"
    return f"regexp_matches({v}, '{DATE_ONLY_RE}')"


def _iso_cast(v: str) -> str:
    """SQL: the text ``v`` cast to TIMESTAMP, tried only where it can succeed
    (:data:`ISO_LIKE_RE`); NULL where it cannot, as the cast would give."""
    return f"CASE WHEN regexp_matches({v}, '{ISO_LIKE_RE}') THEN TRY_CAST({v} AS TIMESTAMP) END"


def _parse(t: str, v: str, mapping: Mapping, params: dict, flag: str | None = None,
           end_of_day: bool = False) -> str:
    """SQL parsing the text ``v`` as type ``t``. A time (``ts``) is converted to the
    store's zone (``flag``: the column saying ``v`` carries an offset; without one, as for
    a default, it is worked out here); a ``date`` is the day as written. With
    ``end_of_day`` (deadlines), a time written as a day only is the end of that day (its
    last microsecond, in the source's zone): a deadline of 2024-01-11 is met on the 11th."""
    if t == "date":
        # a day written as a time (midnight, or any time of it) is that day
        tf = mapping.time_format
        if tf in ("epoch_ms", "epoch_s"):
            ts = _parse("ts", v, mapping, params).removeprefix("__parse__")
        elif tf and not _has_zone_format(mapping):
            params["time_format"] = tf
            ts = f"coalesce({_iso_cast(v)}, TRY_STRPTIME({v}, $time_format))"
        else:
            ts = f"TRY_CAST({v} AS TIMESTAMP)"
        return f"__parse__CAST({ts} AS DATE)"
    if t == "ts":
        tf = mapping.time_format
        if tf in ("epoch_ms", "epoch_s"):
            # an epoch is an instant (UTC): the store's wall time of it
            div = 1000.0 if tf == "epoch_ms" else 1.0
            expr = (f"CAST(timezone($store_tz, to_timestamp(TRY_CAST({v} AS DOUBLE) "
                    f"/ {div})) AS TIMESTAMP)")
        else:
            aware = f"TRY_CAST({v} AS TIMESTAMPTZ)"
            naive = f"TRY_CAST({v} AS TIMESTAMP)"
            if tf:
                params["time_format"] = tf
                if _has_zone_format(mapping):
                    aware = f"coalesce({aware}, TRY_STRPTIME({v}, $time_format))"
                else:
                    naive = f"coalesce({_iso_cast(v)}, TRY_STRPTIME({v}, $time_format))"
            if end_of_day:
                naive = (f"CASE WHEN {_date_only(v, mapping)} THEN {naive} + {_DAY_END} "
                         f"ELSE {naive} END")
            has_offset = flag or _offset_flag(v, mapping, params)
            expr = (f"CASE WHEN {has_offset} THEN CAST(timezone($store_tz, {aware}) AS "
                    f"TIMESTAMP) ELSE {_to_store(naive, params)} END")
    elif t == "double":
        expr = f"TRY_CAST({v} AS DOUBLE)"
    elif t == "int":
        # NULL when it does not fit (number_out_of_range), never an error for the batch
        expr = f"TRY_CAST(round(TRY_CAST({v} AS DOUBLE)) AS INTEGER)"
    else:
        expr = (f"CASE WHEN lower({v}) IN ({_literal_list(TRUE_WORDS)}) THEN true "
                f"WHEN lower({v}) IN ({_literal_list(FALSE_WORDS)}) THEN false END")
    return f"__parse__{expr}"


class Area:
    """Where points may be: the store's city bounds (plus a margin) and its grids."""

    def __init__(self, bounds, index):
        x0, y0, x1, y1 = bounds
        m = AREA_MARGIN_DEG
        self.bounds = (x0 - m, y0 - m, x1 + m, y1 + m)
        self._index = index

    @property
    def index(self):
        """The grid index, built on first use (rows that carry grid codes never need it)."""
        if callable(self._index):
            self._index = self._index()
        return self._index

    def contains(self, x, y):
        x0, y0, x1, y1 = self.bounds
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def geo_check(lon: np.ndarray, lat: np.ndarray, has_grid: np.ndarray, mapping: Mapping,
              area: Area) -> pd.DataFrame:
    """Convert, check and place points; one output row per input row, same order.

    Returns
    -------
    DataFrame
        ``_lon``, ``_lat`` (WGS-84, NaN when absent), ``_grid`` (assigned grid code; ``''``
        when no grid contains the point; None when the row gives its own grid code or has
        a coordinate problem) and ``_geo_rule`` (None or the coordinate rule broken).
    """
    n = len(lon)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    given = np.isfinite(lon) & np.isfinite(lat)
    x, y = lon.copy(), lat.copy()
    if mapping.crs != "EPSG:4326" and given.any():
        cx, cy = crs_mod.to_wgs84(lon[given], lat[given], mapping.crs)
        x[given], y[given] = cx, cy
    rule = np.full(n, None, dtype=object)
    geographic = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    inside = given & geographic & area.contains(x, y)
    swapped = given & ~inside & area.contains(y, x)
    rule[~given & ~has_grid] = "coords_missing"
    rule[given & ~geographic & ~swapped] = "coords_other_crs"
    rule[swapped] = "coords_swapped"
    rule[given & geographic & ~inside & ~swapped] = "coords_outside_area"
    grid = np.full(n, None, dtype=object)
    todo = np.flatnonzero(inside & ~has_grid)
    if len(todo):
        grid[todo] = area.index.codes_of(area.index.assign(x[todo], y[todo]))
    bad = rule != None  # noqa: E711  (elementwise on an object array)
    x[bad | ~given] = np.nan
    y[bad | ~given] = np.nan
    return pd.DataFrame({"_lon": x, "_lat": y, "_grid": grid, "_geo_rule": rule})


# --- generic rules of every kind (kinds.py names them; docs/ingest.md lists them) --------


def control_character_cases(kind: Kind, present: set[str]) -> list[tuple]:
    """``control_characters``: a text field holding a C0 control (but TAB, LF, CR) or DEL."""
    return [("control_characters", f.name,
             f"regexp_matches(t.{f.name}, '{CONTROL_CHARACTERS}')", f"t.{f.name}")
            for f in kind.fields if f.type == "str" and f.name in present]


def out_of_range_cases(kind: Kind, present: set[str], parsed: set[str]) -> list[tuple]:
    """``number_out_of_range``: a number that does not fit its INTEGER column."""
    return [("number_out_of_range", f.name,
             f"t.v_{f.name} IS NOT NULL AND t.{f.name} IS NULL AND "
             f"abs(TRY_CAST(t.v_{f.name} AS DOUBLE)) > {INT_MAX}", f"t.v_{f.name}")
            for f in kind.fields if f.type == "int" and f.name in present and f.name in parsed]


def implausible_time_cases(kind: Kind, present: set[str]) -> list[tuple]:
    """``implausible_time``: a time or date before ``$earliest``."""
    return [("implausible_time", f.name, f"t.{f.name} < $earliest",
             f"CAST(t.{f.name} AS VARCHAR)")
            for f in kind.fields if f.type in ("ts", "date") and f.name in present]


def negative_value_cases(kind: Kind, present: set[str]) -> list[tuple]:
    """``negative_value``: a count or duration below its minimum (``Kind.minimums``)."""
    return [("negative_value", name, f"t.{name} < {int(low)}", f"CAST(t.{name} AS VARCHAR)")
            for name, low in kind.minimums.items() if name in present]


def earliest_time(value=None) -> datetime:
    """The earliest plausible time: ``value`` (a date or time, as text or object) or
    :data:`kinds.EARLIEST`. Raises ``ValueError`` on text that is not an ISO date."""
    if value is None or value == "":
        value = EARLIEST
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"earliest time: not an ISO date: {str(value)[:40]!r}") from None


def keys_unique_sql(kind: Kind, source: str = "ingest_typed") -> str:
    """A query: are the batch's natural keys (where complete) all different? Then no row can
    be a ``duplicate_key`` and the per-key window of :func:`checked_sql` is skipped (a hash
    count instead of a partitioned sort: most of an export's batches are clean)."""
    keys = ", ".join(f"t.{k}" for k in kind.key)
    keys = f"row({keys})" if len(kind.key) > 1 else keys
    complete = " AND ".join(f"t.{k} IS NOT NULL" for k in kind.key)
    return (f"SELECT count(DISTINCT {keys}) FILTER (WHERE {complete}) = "
            f"count(*) FILTER (WHERE {complete}) FROM {source} AS t")


def key_hash_sql(kind: Kind) -> str:
    """Select items over ``t``: ``_kh``, a hash of the row's natural key, and ``_kc``,
    whether the key is complete. Read with the points (one pass over the typing query):
    no two complete keys with the same hash means the keys are all different (a
    collision only makes the loader take the exact per-key window of :func:`checked_sql`)."""
    keys = ", ".join(f"t.{k}" for k in kind.key)
    complete = " AND ".join(f"t.{k} IS NOT NULL" for k in kind.key)
    return f"hash({keys}) AS _kh, ({complete}) AS _kc"


VOCAB_RULES = {"category": "unknown_category", "department": "unknown_department"}
"""Vocabularies with a table of their own are checked by these kind rules (kinds.py)."""


def vocab_condition(name: str, vocab: str) -> str:
    """The condition of a bad value of field ``name`` in a store vocabulary (taxonomy)."""
    return (f"t.{name} IS NOT NULL AND t.{name} NOT IN (SELECT code FROM taxonomy WHERE "
            f"field = {_literal_list([vocab])})")


def _lookup_sql(values: list[str | None]) -> str:
    """``values[t._k]`` in SQL: a constant VARCHAR list indexed by ``_k`` (NULL when ``_k``
    is NULL)."""
    items = ", ".join("NULL" if v is None else "'" + v.replace("'", "''") + "'"
                      for v in values)
    return f"CAST([{items}] AS VARCHAR[])[t._k + 1]"


def checked_sql(kind: Kind, present: set[str], parsed: set[str], unique: bool = False,
                add_unknown: frozenset[str] = frozenset(), source: str = "ingest_typed") -> str:
    """The query that creates ``ingest_checked`` from ``ingest_typed`` and ``ingest_geo``.

    ``source`` is where the typed rows come from: the table ``ingest_typed`` or the typing
    query itself in parentheses (``Plan.select``: the loader types and checks a batch in
    one statement, without materialising the typed rows; its parameters are then bound
    too). ``ingest_geo`` carries ``_r`` and is joined by it.

    ``parsed`` names the fields parsed from text (they have a ``v_`` column); ``unique``
    says the batch's complete keys are all different (:func:`keys_unique_sql`).
    ``add_unknown`` names the vocabulary fields whose unknown values the mapping adds to
    the store's lists instead of rejecting (their ``unknown_*`` rule is skipped)."""
    cases: list[tuple[str, str, str, str]] = []  # rule, column, condition, value
    for k in kind.key:
        # a key written but not parseable (a date field) is reported as unparseable below
        written = f" AND t.v_{k} IS NULL" if k in parsed else ""
        cases.append(("null_key", k, f"t.{k} IS NULL{written}", "NULL"))
    cases += control_character_cases(kind, present)
    cases += out_of_range_cases(kind, present, parsed)
    for f in kind.fields:
        if f.type != "str" and f.name in present and f.name in parsed:
            rule = {"ts": "unparseable_time", "date": "unparseable_time",
                    "double": "unparseable_number", "int": "unparseable_number",
                    "bool": "unparseable_boolean"}[f.type]
            cases.append((rule, f.name, f"t.v_{f.name} IS NOT NULL AND t.{f.name} IS NULL",
                          f"t.v_{f.name}"))
    for f in kind.fields:
        if f.required and f.name not in kind.key:
            cases.append(("missing_value", f.name, f"t.{f.name} IS NULL", "NULL"))
    for f in kind.fields:  # workflow values (code) and the store's vocabularies (taxonomy)
        name = f.name
        if name in kind.enums:
            allowed = kind.enums[name]
            cases.append(("unknown_value", name,
                          f"t.{name} IS NOT NULL AND t.{name} NOT IN "
                          f"({_literal_list(allowed)})", f"t.{name}"))
        elif name in kind.vocab and kind.vocab[name] not in VOCAB_RULES \
                and name not in add_unknown:
            cases.append(("unknown_value", name, vocab_condition(name, kind.vocab[name]),
                          f"t.{name}"))
    cases += implausible_time_cases(kind, present)
    for name in kind.future_fields:
        cases.append(("future_time", name, f"t.{name} > $now", f"CAST(t.{name} AS VARCHAR)"))
    cases += negative_value_cases(kind, present)
    if kind.point:
        cases.append(("unknown_grid_code", "grid_code",
                      "t.grid_code IS NOT NULL AND t.grid_code NOT IN "
                      "(SELECT code FROM grids)", "t.grid_code"))
        cases.append(("unknown_region_code", "region_code",
                      "t.region_code IS NOT NULL AND t.region_code NOT IN "
                      "(SELECT code FROM regions UNION ALL SELECT short_code FROM regions)",
                      "t.region_code"))
        cases.append(("__geo__", "lon", "g._geo_rule IS NOT NULL",
                      "CAST(t.lon AS VARCHAR) || ',' || CAST(t.lat AS VARCHAR)"))
    for rule, col, cond in kind.rules:
        if col in add_unknown and rule == VOCAB_RULES.get(kind.vocab.get(col, "")):
            continue
        cases.append((rule, col, cond, f"CAST(t.{col} AS VARCHAR)"))
    # the conditions are tested once per row, in order: _k is the number of the first one
    # broken (NULL: none); the rule, column and value are read from it (a value only for
    # the rows that break a rule)
    k_sql = "CASE " + " ".join(f"WHEN {cond} THEN {i}" for i, (_, _, cond, _) in
                               enumerate(cases)) + " END"
    # most rows break no rule (_k NULL): the rule and column are looked up in constant lists
    # by _k, and the value's CASE is reached only by the rows that break one (a CASE of some
    # 30 WHENs tested on every row cost about a sixth of the statement)
    rule_sql = _lookup_sql([None if rule == "__geo__" else rule for rule, _, _, _ in cases])
    geo_k = [i for i, (rule, _, _, _) in enumerate(cases) if rule == "__geo__"]
    if geo_k:
        rule_sql = f"CASE WHEN t._k = {geo_k[0]} THEN t._geo_rule ELSE {rule_sql} END"
    col_sql = _lookup_sql([col for _, col, _, _ in cases])
    val_sql = "CASE WHEN t._k IS NOT NULL THEN CASE t._k " + " ".join(
        f"WHEN {i} THEN {val}" for i, (_, _, _, val) in enumerate(cases)) + " END END"
    geo = "JOIN ingest_geo AS g ON g._r = t._r" if kind.point else ""
    # _pq: the placeholder point a row sits at (dashboard/ingest/quality.py), set by the
    # loader on ingest_geo
    geo_cols = "g._lon, g._lat, g._grid, g._pq, g._geo_rule," if kind.point else ""
    # the source texts of parsed fields serve the conditions and values above only: not
    # stored (a narrower ingest_checked is cheaper to write)
    texts = "".join(f", v_{name}" for name in sorted(parsed))
    drop = ("_k, _geo_rule" if kind.point else "_k") + texts
    key = ", ".join(kind.key)
    # the rule values read the typed columns as t.<field>, as the conditions do
    ranked = f"(SELECT t.*, {geo_cols} {k_sql} AS _k FROM {source} AS t {geo}) AS t"
    if unique:
        return (f"CREATE OR REPLACE TEMP TABLE ingest_checked AS "
                f"SELECT * EXCLUDE ({drop}), {rule_sql} AS _rule, {col_sql} AS _col, "
                f"{val_sql} AS _val FROM {ranked}")
    return (
        f"CREATE OR REPLACE TEMP TABLE ingest_checked AS "
        f"SELECT * EXCLUDE (_rule0, _col0, _val0, _rn), "
        f"CASE WHEN _rule0 IS NOT NULL THEN _rule0 WHEN _rn > 1 THEN 'duplicate_key' "
        f"END AS _rule, "
        f"CASE WHEN _rule0 IS NOT NULL THEN _col0 WHEN _rn > 1 THEN '{key}' END AS _col, "
        f"CASE WHEN _rule0 IS NOT NULL THEN _val0 WHEN _rn > 1 "
        f"THEN concat_ws('|', {', '.join(f'CAST({k} AS VARCHAR)' for k in kind.key)}) "
        f"END AS _val "
        f"FROM (SELECT *, row_number() OVER (PARTITION BY {key}, _rule0 IS NULL "
        f"ORDER BY _r) AS _rn FROM (SELECT * EXCLUDE ({drop}), {rule_sql} AS _rule0, "
        f"{col_sql} AS _col0, {val_sql} AS _val0 FROM {ranked}) AS z) AS x"
    )
