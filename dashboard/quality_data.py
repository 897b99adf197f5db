"""The data-quality layer as plain data: per import and per region.

Read by ``gridcmd import report`` and the 数据质量 page (``/quality``), so both show the
same figures with the same definitions (:data:`DEFINITIONS`).

* Per import (file): rows in, loaded, quarantined by rule, rows outside every grid,
  rows at placeholder points (placed by a grid or region column, unplaced), registered
  cases without a deadline, and the time-zone assumptions when the import log records
  them. City-wide operational data: the page shows it to admins and city-level users only.
* Per region: the same record-level figures for the units of a scope, with their shares,
  from the stored records themselves (scoped like every query: ``starts_with`` the
  scope's code), plus the rows kept outside every grid whose point lies in the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from dashboard import formats
from dashboard.kpi.scope import REGION_LENGTHS, Scope, unplaced_unit
from queries import names as Q
from queries import run

FAR_BACK = datetime(1970, 1, 1)
FAR_AHEAD = datetime(9999, 1, 1)
TZ_COLUMNS = ("tz_naive_values", "tz_offset_values", "tz_assumed")
REGION_COLUMNS = ("records", "flagged", "placed", "unplaced", "ungridded", "outside",
                  "registered", "no_deadline")

# Every figure with its definition (指标说明): Chinese first, English second.
DEFINITIONS: dict[str, tuple[str, str, str, str]] = {
    # key: (name zh, definition zh, name en, definition en)
    "records": (
        "记录数", "辖区内期内的事件（按上报时间）、隐患（按发现时间）与重点人员（按登记时间）条数",
        "Records", "incidents (by report time), hazards (by time found) and key persons (by "
        "registration) of the period in the region"),
    "flagged": (
        "占位坐标", "源坐标为占位点（地理编码失败时的默认坐标，如市政府）的记录；"
        "占比 = 占位坐标 / 记录数",
        "Placeholder points", "records whose source point was a placeholder (a geocoder's "
        "default point such as the city hall); share = / records"),
    "placed": (
        "按区域落位", "占位坐标记录中，按源数据的网格或区域（如街道、社区）字段落位的条数",
        "Placed by region", "of those, placed by the source's grid or region column (a ward, "
        "a community)"),
    "unplaced": (
        "未落位", "占位坐标记录中，源数据无网格或区域字段、只计入全域（全市）合计的条数",
        "Unplaced", "of those, without a grid or region column: counted in the whole area's "
        "totals only"),
    "ungridded": (
        "未落到网格", "计入本区域合计但未落到任何网格的记录（按区域落位或未落位）；"
        "占比 = 未落到网格 / 记录数",
        "Not in a grid", "records counted in the region but in none of its grids (placed by "
        "a region, or unplaced); share = / records"),
    "outside": (
        "网格外", "坐标在区域边界内但不在任何网格内、未计入任何辖区的事件与隐患；"
        "占比 = 网格外 /（记录数 + 网格外）",
        "Outside every grid", "incidents and hazards whose point lies in the region's outline "
        "but in no grid (kept, counted in no jurisdiction); share = / (records + outside)"),
    "no_deadline": (
        "无时限案件", "已立案但无处置时限（deadline_at 为空）的事件；"
        "占比 = 无时限案件 / 已立案事件",
        "No deadline", "registered cases without a deadline (deadline_at empty); share = / "
        "registered cases"),
    "quarantined": (
        "隔离", "未通过校验、连同原因进入隔离表的行（按规则）",
        "Quarantined", "rows that failed a rule, kept in the quarantine table with the "
        "reason (by rule)"),
    "timezone": (
        "时区假定", "无时区的时间按所列时区的当地时间读取；带偏移的时间换算为库时区",
        "Time-zone assumption", "times without an offset are read as wall time in the zone "
        "listed; times with one are converted to the store's zone"),
}
SHARES = {"flagged": "records", "ungridded": "records", "outside": "records+outside",
          "no_deadline": "registered"}


def definition(key: str, lang: str = "zh") -> tuple[str, str]:
    """(name, definition) of a figure in ``lang``."""
    zh, zh_def, en, en_def = DEFINITIONS[key]
    return (zh, zh_def) if lang == "zh" else (en, en_def)


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $t",
        {"t": table}).fetchall()}


@dataclass(frozen=True)
class Imports:
    """The import log per file and its details (empty frames when nothing matches)."""

    files: pd.DataFrame  # quality/imports.sql, plus unplaced, tz_* columns
    rules: pd.DataFrame  # kind, source_file, file_sha256, rule, n
    points: pd.DataFrame  # kind, source_file, file_sha256, lon, lat, reason, rows, ...


def imports(con, file: str | None = None, since: datetime | None = None) -> Imports:
    """The import log per file: what every import brought in and what it flagged.

    Time-zone columns (``tz_naive_values``, ``tz_offset_values``, ``tz_assumed``) come
    from the log when it has them (a loader that records them); otherwise ``tz_assumed``
    is the store's zone (every time was read as its wall time) and the counts are unknown.
    """
    files = run(con, Q.QUALITY_IMPORTS, file=file, since=since)
    files["unplaced"] = files["placeholder_rows"] - files["placed_rows"]
    ids = [int(i) for ids in files["batch_ids"] for i in ids]
    key = ["kind", "source_file", "file_sha256"]
    owner = pd.DataFrame([(int(i), *r[:3]) for r in files[key + ["batch_ids"]].itertuples(
        index=False) for i in r[3]], columns=["batch_id", *key])
    rules = run(con, Q.QUALITY_QUARANTINE, batches=ids).merge(owner, on="batch_id")
    rules = rules.groupby([*key, "rule"], as_index=False)["n"].sum() \
        .sort_values([*key, "n"], ascending=[True, True, True, False], ignore_index=True)
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}
    if "import_placeholders" in tables:
        points = run(con, Q.QUALITY_POINTS, batches=ids).merge(owner, on="batch_id")
        points = points.groupby([*key, "lon", "lat", "reason", "file_rows", "file_located"],
                                as_index=False)[["rows", "placed", "unplaced"]].sum()
    else:
        points = pd.DataFrame(columns=[*key, "lon", "lat", "reason", "file_rows",
                                       "file_located", "rows", "placed", "unplaced"])
    if set(TZ_COLUMNS) <= _columns(con, "import_batches"):
        tz = run(con, Q.QUALITY_TIMEZONES, batches=ids).merge(owner, on="batch_id")
        agg = tz.groupby(key, as_index=False).agg(
            tz_naive_values=("tz_naive_values", "sum"),
            tz_offset_values=("tz_offset_values", "sum"),
            tz_assumed=("tz_assumed", lambda s: ", ".join(sorted({str(v) for v in s
                                                                   if v}))))
        files = files.merge(agg, on=key, how="left")
    else:
        zone = dict(con.execute("SELECT key, value FROM meta").fetchall()).get(
            "timezone", "Asia/Shanghai")
        files["tz_naive_values"] = pd.NA
        files["tz_offset_values"] = pd.NA
        files["tz_assumed"] = zone
    return Imports(files=files.drop(columns="batch_ids"), rules=rules, points=points)


def _share(num, den) -> float:
    return float(num) / float(den) if den else float("nan")


def regions(con, scope: Scope, unit_len: int, date_from=None, date_to=None) -> pd.DataFrame:
    """The data-quality figures of the units of length ``unit_len`` below ``scope``.

    Parameters
    ----------
    scope : Scope
        The user's jurisdiction (narrowed by a filter): only records under it are read.
    unit_len : int
        6, 9, 12 or 15, longer than the scope's code (15 for a grid scope: the grid).
    date_from, date_to : date, optional
        The period, both days inclusive (records by their own time: incidents reported,
        hazards found, key persons registered); everything when omitted.

    Returns
    -------
    DataFrame
        One row per unit with records (names from the store), then a row ``key`` = the
        scope's code standing for the records attributed to the scope itself but to none
        of its units (only when there are any; ``only_in`` True, shown by
        :func:`region_label`), then the scope's total (``total`` True). Columns ``key``,
        ``name``, ``total``, ``only_in``, :data:`REGION_COLUMNS`, and ``<figure>_share``
        for the figures of :data:`SHARES`.
    """
    grid = unit_len == len(scope.prefix) == max(REGION_LENGTHS)  # a grid: its own row
    if unit_len not in REGION_LENGTHS or (unit_len <= len(scope.prefix) and not grid):
        raise ValueError(f"unit length {unit_len} is not below the scope {scope.prefix}")
    start = datetime.combine(date_from, datetime.min.time()) if date_from else FAR_BACK
    end = (datetime.combine(date_to + timedelta(days=1), datetime.min.time())
           if date_to else FAR_AHEAD)
    rows = run(con, Q.QUALITY_REGIONS, prefix=scope.prefix, unit_len=unit_len, start=start,
               end=end)
    units = run(con, Q.QUALITY_UNITS, prefix=scope.prefix, unit_len=min(unit_len, 12))
    names = dict(zip(units["key"], units["name"], strict=True))
    if unit_len == 15:
        grid_names = run(con, Q.REGION_UNIT_NAMES, prefix=scope.prefix, unit_len=15)
        names.update(zip(grid_names["key"], grid_names["name"], strict=True))
    outside = _outside(con, units, scope.prefix, unit_len, start, end)
    rows["outside"] = [outside.get(k, 0) for k in rows["unit"]]
    # units with outside rows but no records of their own
    extra = [k for k in outside if k != scope.prefix and k not in set(rows["unit"])]
    if extra:
        rows = pd.concat([rows, pd.DataFrame({"unit": extra,
                                              "outside": [outside[k] for k in extra]})],
                         ignore_index=True).fillna(0)
    rows = rows.rename(columns={"unit": "key"})
    for col in REGION_COLUMNS:
        rows[col] = rows[col].astype("int64") if col in rows else 0
    pseudo = np.array([unplaced_unit(str(k)) for k in rows["key"]], dtype=bool)
    own = rows[pseudo]
    table = rows[~pseudo].sort_values("key").assign(total=False, only_in=False)
    table["name"] = [names.get(k, k) for k in table["key"]]
    parts = [table]
    if len(own):
        line = own[list(REGION_COLUMNS)].sum().to_dict()
        parts.append(pd.DataFrame([{**line, "key": scope.prefix, "total": False,
                                    "only_in": True,
                                    "name": names.get(scope.prefix, scope.prefix)}]))
    total = rows[list(REGION_COLUMNS)].sum().to_dict()
    total["outside"] = outside.get(scope.prefix, 0)
    parts.append(pd.DataFrame([{**total, "key": scope.prefix, "total": True,
                                "only_in": False,
                                "name": names.get(scope.prefix, scope.prefix)}]))
    out = pd.concat(parts, ignore_index=True)
    for col in REGION_COLUMNS:
        out[col] = out[col].astype("int64")
    for key, den in SHARES.items():
        base = (out["records"] + out["outside"]) if den == "records+outside" else out[den]
        out[f"{key}_share"] = [_share(a, b) for a, b in zip(out[key], base, strict=True)]
    return out[["key", "name", "total", "only_in", *REGION_COLUMNS,
                *(f"{k}_share" for k in SHARES)]]


def region_label(row, lang: str = "zh") -> str:
    """The name a row of :func:`regions` is shown by: its region's name, or for the records
    known only to lie somewhere in the scope (``only_in``) （仅知属于X） / (only known to be
    in X)."""
    from dashboard.i18n import t

    name = str(row["name"])
    return t("quality.only_in", lang, name=name) if row["only_in"] else name


def _outside(con, units: pd.DataFrame, prefix: str, unit_len: int, start, end) -> dict:
    """Rows outside every grid per unit (by the unit outline their point lies in) and for
    the scope (key = the scope's code)."""
    pts = run(con, Q.QUALITY_OUTSIDE, start=start, end=end)
    if pts.empty or units.empty:
        return {}
    geoms = shapely.from_wkb([bytes(b) for b in units["geometry"]])
    xy = shapely.points(pts["lon"].to_numpy(dtype=float), pts["lat"].to_numpy(dtype=float))
    tree = shapely.STRtree(geoms)
    src, dst = tree.query(xy, predicate="within")
    keys = units["key"].to_numpy()[dst]
    out: dict[str, int] = {}
    for k in keys:
        if unit_len == 15 and k != prefix:
            continue
        out[str(k)] = out.get(str(k), 0) + 1
    return out


# --- the 数据质量 page --------------------------------------------------------------------

IMPORT_ROWS = 50  # files in the page's import log, newest first


def sees_import_log(user: Scope) -> bool:
    """Whether a user may see the import log: admins and users whose jurisdiction is the
    whole area (file names and their rows are city-wide operational data)."""
    return user.role == "admin" or user.level == "city"


def page(con, user: Scope, filters, now: datetime) -> dict:
    """What the 数据质量 page shows, for the session's ``user`` scope.

    Returns
    -------
    dict
        ``scope`` (the user's scope narrowed by the filter's region), ``span`` (first and
        last day), ``unit_len``, ``regions`` (:func:`regions` of the scope's next shown
        level, in the period), and ``imports`` (:class:`Imports`, the latest
        :data:`IMPORT_ROWS` files) only when :func:`sees_import_log`, else None.
    """
    from dashboard import cases_data

    scope = filters.scope(user)
    d0, d1 = filters.span(now.date())
    unit_len = cases_data.unit_length(con, scope.prefix)
    out = {"scope": scope, "span": (d0, d1), "unit_len": unit_len,
           "regions": regions(con, scope, unit_len, d0, d1), "imports": None}
    if sees_import_log(user):
        found = imports(con)
        files = found.files.iloc[::-1].head(IMPORT_ROWS).reset_index(drop=True)
        key = ["kind", "source_file", "file_sha256"]
        shown = set(map(tuple, files[key].to_numpy()))

        def keep(frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty:
                return frame
            mask = np.array([tuple(r) in shown for r in frame[key].to_numpy()], dtype=bool)
            return frame[mask].reset_index(drop=True)

        out["imports"] = Imports(files=files, rules=keep(found.rules),
                                 points=keep(found.points))
    return out


# --- gridcmd import report ----------------------------------------------------------------


def report(con, file: str | None = None, since: datetime | None = None,
           level: str | None = None) -> dict:
    """Everything ``gridcmd import report`` prints, as plain data (its ``--json``).

    The per-region part covers every stored record of the whole area's units of ``level``
    (a slot name such as ``county``, or the store's own name of a level; default: the
    first level shown below the whole area).

    Raises
    ------
    ValueError
        An unknown level, or a store without a whole area (no root region).
    """
    from dashboard import levels

    lv = levels.of(con)
    roots = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL "
                        "ORDER BY short_code").fetchall()
    if len(roots) != 1:
        raise ValueError(f"the store has {len(roots)} top-level regions, expected one")
    root = roots[0][0]
    if level is None:
        unit_len = lv.below(len(root))
    else:
        names = {REGION_LENGTHS[n]: n for n in lv.visible}
        names.update({lv.name(n): n for n in lv.visible if lv.name(n)})
        if level not in names or names[level] <= len(root):
            below = [k for k, n in names.items() if n > len(root)]
            raise ValueError(f"--level: unknown level {level!r}; one of {below}")
        unit_len = names[level]
    found = imports(con, file=file, since=since)
    table = regions(con, Scope(root, "admin"), unit_len)
    files = []
    key = ["kind", "source_file", "file_sha256"]
    for row in found.files.to_dict("records"):
        ident = tuple(row[k] for k in key)
        rules = found.rules[(found.rules[key].apply(tuple, axis=1) == ident)] \
            if len(found.rules) else found.rules
        points = found.points[(found.points[key].apply(tuple, axis=1) == ident)] \
            if len(found.points) else found.points
        files.append({
            **{k: _plain(v) for k, v in row.items()},
            "quarantined_by_rule": {r: int(n) for r, n in zip(rules.get("rule", []),
                                                               rules.get("n", []),
                                                               strict=True)},
            "placeholder_points": [{k: _plain(v) for k, v in p.items()}
                                   for p in points.drop(columns=key).to_dict("records")],
        })
    return {
        "imports": files,
        "regions": {"level": lv.label(unit_len), "unit_len": unit_len,
                    "rows": [{k: _plain(v) for k, v in r.items()}
                             for r in table.to_dict("records")]},
        "definitions": {k: {"zh": DEFINITIONS[k][1], "en": DEFINITIONS[k][3]}
                        for k in DEFINITIONS},
    }


def _plain(value):
    """JSON-ready scalars (numpy numbers, NaN, timestamps, NA)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat(sep=" ", timespec="seconds")
    return value


def _pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    import unicodedata

    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))
    fill = " " * max(0, width - cols)
    return fill + str(text) if right else str(text) + fill


def _pct(num, den) -> str:
    return formats.rate(num / den) if den else formats.MISSING


def report_text(data: dict) -> str:
    """The text ``gridcmd import report`` prints (Chinese first, English second)."""
    lines = [f"导入 imports: {len(data['imports'])} 个文件 file(s)"]
    for f in data["imports"]:
        lines.append(f"  {f['kind']} {f['source_file']} (sha256 {f['file_sha256'][:12]}…) "
                     f"{f['started_at']} · {f['batches']} 批 batch(es)")
        lines.append(f"    读入 rows in {f['rows_in']:,} · 入库 loaded {f['loaded']:,} · "
                     f"隔离 quarantined {f['quarantined']:,}")
        for rule, n in f["quarantined_by_rule"].items():
            lines.append(f"        {rule:<28}{n:>10,}")
        lines.append(f"    网格外 outside every grid {f['outside_grid']:,}")
        lines.append(f"    占位坐标 at placeholder points {f['placeholder_rows']:,} "
                     f"({_pct(f['placeholder_rows'], f['loaded'])} of loaded): placed by "
                     f"region {f['placed_rows']:,}, unplaced {f['unplaced']:,}")
        for p in f["placeholder_points"]:
            lines.append(f"      {p['lon']:.5f},{p['lat']:.5f} [{p['reason']}]: {p['rows']:,} "
                         f"rows (file: {p['file_rows']:,} of {p['file_located']:,} located "
                         f"rows), placed {p['placed']:,}, unplaced {p['unplaced']:,}")
        if f["kind"] == "incidents":
            lines.append(f"    无时限案件 registered cases without a deadline "
                         f"{f['no_deadline']:,}")
        counts = ("" if f["tz_naive_values"] is None else
                  f" (naive {f['tz_naive_values']:,}, with offset "
                  f"{f['tz_offset_values']:,})")
        lines.append(f"    时区假定 time zone assumed: {f['tz_assumed'] or '–'}{counts}")
    reg = data["regions"]
    lines.append("")
    lines.append(f"按区域 per region ({reg['level']}; every stored record)")
    widths = (22, 14, 22, 20, 18, 20)
    heads = ("区域 region", "记录 records", "占位坐标 placeholder", "未落到网格 no grid",
             "网格外 outside", "无时限 no deadline")
    lines.append("  " + "".join(_pad(h, w, right=i > 0)
                                for i, (h, w) in enumerate(zip(heads, widths, strict=True))))
    for r in reg["rows"]:
        name = region_label(r, "zh")
        name = ("合计 " if r["total"] else "") + name
        cells = [f"{r['records']:,}"]
        for num, den in (("flagged", r["records"]), ("ungridded", r["records"]),
                         ("outside", r["records"] + r["outside"]),
                         ("no_deadline", r["registered"])):
            cells.append(f"{r[num]:,} {_pct(r[num], den):>6}")
        lines.append("  " + _pad(name, widths[0]) + "".join(
            _pad(c, w, right=True) for c, w in zip(cells, widths[1:], strict=True)))
    lines.append("")
    lines.append("指标说明 definitions:")
    for key, d in data["definitions"].items():
        lines.append(f"  {DEFINITIONS[key][0]} {DEFINITIONS[key][2]}: {d['zh']}")
    return "\n".join(lines)
