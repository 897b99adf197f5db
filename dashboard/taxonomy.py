"""Reference data as data: the store's vocabularies, their names, and loading them.

What a record's source, hazard type, key-person category, survey channel, visit kind or
area-survey respondent group may hold is a row of the store table ``taxonomy`` (field,
code, name, name_en, ...); categories (大类/小类, time limit) and departments have tables
of their own. The built-in national lists (``dashboard/reference/taxonomy.csv`` and
``categories.csv``, after GB/T 30428.2 and grid practice) are loaded into every new store
and by migration 003 into older ones: they are the default, never a closed set. A city
adds or renames values with ``gridcmd import taxonomy`` (:func:`import_file`) or lets a
mapping add the values its export uses (``[taxonomy] add_unknown``, docs/ingest.md).

Workflow values stay in code because the code gives them meaning: case ``status`` and
``tier`` (the lifecycle and 四级联动), risk levels (重大 counts in 重大隐患数, a key person's
risk sets the visit interval) and ratings (满意率 counts 满意 and 基本满意).

:class:`Vocab` is one read of the vocabularies, used to validate filter values from URLs
and to show a code by its name in the page's language (:meth:`Vocab.label`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from queries import names as Q
from queries import run, sql

REFERENCE = Path(__file__).resolve().parent / "reference"

FIELDS: dict[str, str] = {
    "incident_source": "来源 · where a case was reported (incidents.source)",
    "hazard_type": "隐患类型 · hazard type (hazards.type)",
    "hazard_source": "隐患来源 · how a hazard was found (hazards.source)",
    "key_person_category": "人群类别 · key-person category (key_persons.category)",
    "survey_channel": "回访/测评渠道 · survey channel (surveys.channel, area_surveys.channel)",
    "visit_kind": "走访方式 · visit kind (visits.kind)",
    "area_survey_group": "测评对象 · respondent group (area_surveys.respondent_group)",
}
"""The simple lists of the ``taxonomy`` table."""

TABLE_FIELDS = ("category", "department")
"""Vocabularies with tables of their own (``categories``, ``departments``)."""

# where stored records use each vocabulary: a value they use is never removed
USES: dict[str, tuple[tuple[str, str], ...]] = {
    "incident_source": (("incidents", "source"),),
    "hazard_type": (("hazards", "type"),),
    "hazard_source": (("hazards", "source"),),
    "key_person_category": (("key_persons", "category"),),
    "survey_channel": (("surveys", "channel"), ("area_surveys", "channel")),
    "visit_kind": (("visits", "kind"),),
    "area_survey_group": (("area_surveys", "respondent_group"),),
    "category": (("incidents", "category_code"),),
    "department": (("incidents", "dept_code"), ("hazards", "dept_code"),
                   ("escalations", "from_dept"), ("escalations", "to_dept")),
}

# --- workflow vocabularies: one home in code (the code gives them meaning) ---------------

TIERS = ("village", "town", "county", "city")
"""Handling tiers of 四级联动, bottom up (incidents.tier, escalations.from_tier/to_tier)."""
STATUSES = ("待立案", "已立案", "处置中", "待核查", "待结案", "已结案", "已作废")
"""Case statuses in lifecycle order (incidents.status)."""
RISK_LEVELS = ("一般", "较大", "重大")
"""Hazard risk levels, mildest first (hazards.risk_level; 重大 counts in 重大隐患数)."""
RATINGS = ("满意", "基本满意", "不满意")
"""回访 ratings, best first (满意率 counts 满意 and 基本满意)."""
DOMAINS = ("事件", "部件", "社会治理")
"""The 领域 a category belongs to (categories.domain)."""
UNCLASSIFIED = "未分类"
"""The 大类 of a category a mapping adds without naming one."""

CATEGORY_COLUMNS = ("code", "domain", "major_code", "major_name", "minor_name", "name_en",
                    "deadline_hours", "dept_kind", "major_name_en")


def level_name(level: str, lang: str = "zh") -> str:
    """The national name of a region level or handling tier (``town`` → 乡镇(街道) /
    Town), from the ``level.*`` messages of :mod:`dashboard.i18n`. A store's own level
    names (:meth:`dashboard.levels.Levels.name`) come first where a screen has a store."""
    from dashboard.i18n import t

    return t(f"level.{level}", lang)


def tier_names(lang: str = "zh") -> dict[str, str]:
    """:data:`TIERS` → their national names (village → 村(社区) …)."""
    return {tier: level_name(tier, lang) for tier in TIERS}


class TaxonomyError(ValueError):
    """A taxonomy file or value that cannot be stored (the message says which and why)."""


# --- the built-in lists ------------------------------------------------------------------


def builtin_taxonomy() -> pd.DataFrame:
    """The built-in simple lists (``reference/taxonomy.csv``) in the table's shape."""
    frame = pd.read_csv(REFERENCE / "taxonomy.csv", dtype=str, keep_default_na=False)
    return pd.DataFrame({
        "field": frame["field"], "code": frame["code"], "name": frame["name"],
        "name_en": frame["name_en"].replace("", None), "parent": None,
        "sort": frame["sort"].astype(int), "builtin": True})


def builtin_categories() -> pd.DataFrame:
    """The built-in categories (``reference/categories.csv``) in the table's shape."""
    frame = pd.read_csv(REFERENCE / "categories.csv", dtype={"sensor_type": str})
    return frame[list(CATEGORY_COLUMNS)]


def load_builtin(con) -> dict[str, int]:
    """Insert the built-in lists into a store where they are missing (never overwrites a
    value the store has: a city's renaming stays). Called for every new store.

    Returns
    -------
    dict
        Rows inserted per table.
    """
    out = {}
    for table, frame in (("taxonomy", builtin_taxonomy()), ("categories", builtin_categories())):
        key = "t.field = f.field AND t.code = f.code" if table == "taxonomy" \
            else "t.code = f.code"
        cols = ", ".join(frame.columns)
        con.register("builtin_frame", frame)
        try:
            before = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM builtin_frame AS f "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {key})")
            out[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] - before
        finally:
            con.unregister("builtin_frame")
    return out


# --- reading: the vocabulary of a store ---------------------------------------------------


@dataclass(frozen=True)
class Vocab:
    """The vocabularies of one store, read once (:func:`vocab`).

    Attributes
    ----------
    values : dict
        Field (a key of :data:`FIELDS`) → codes in display order.
    names : dict
        (field, code) → (name, English name or None); fields ``category`` (小类 codes) and
        ``category_major`` (大类 codes) too.
    majors, minors : tuple of str
        大类 and 小类 codes of the categories table.
    """

    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)
    majors: tuple[str, ...] = ()
    minors: tuple[str, ...] = ()

    def codes(self, name: str) -> tuple[str, ...]:
        """The codes of a vocabulary, in display order."""
        if name == "category":
            return self.minors
        if name == "category_major":
            return self.majors
        return self.values.get(name, ())

    def label(self, name: str, code, lang: str = "zh") -> str:
        """How ``code`` of vocabulary ``name`` reads in ``lang``: the English name in
        English where one is set, else the name; an unknown code reads as itself."""
        if code is None or (isinstance(code, float) and math.isnan(code)):
            return ""
        found = self.names.get((name, str(code)))
        if found is None:
            return str(code)
        zh, en = found
        return en if lang != "zh" and en else zh

    def options(self, name: str, lang: str = "zh") -> list[dict]:
        """Dropdown options (label, value) of a vocabulary."""
        return [{"label": self.label(name, c, lang), "value": c} for c in self.codes(name)]


def vocab(con) -> Vocab:
    """The vocabularies of the store ``con`` (two small queries)."""
    rows = run(con, Q.TAXONOMY_VALUES)
    values: dict[str, list[str]] = {}
    names: dict[tuple[str, str], tuple[str, str | None]] = {}
    for r in rows.itertuples():
        values.setdefault(r.field, []).append(r.code)
        names[(r.field, r.code)] = (r.name, None if pd.isna(r.name_en) else r.name_en)
    cats = run(con, Q.TAXONOMY_CATEGORY_NAMES)
    majors: list[str] = []
    for r in cats.itertuples():
        names[("category", r.code)] = (r.minor_name, None if pd.isna(r.name_en) else r.name_en)
        if ("category_major", r.major_code) not in names:
            majors.append(r.major_code)
            names[("category_major", r.major_code)] = (
                r.major_name, None if pd.isna(r.major_name_en) else r.major_name_en)
    return Vocab({k: tuple(v) for k, v in values.items()}, names, tuple(majors),
                 tuple(cats["code"]))


def builtin_vocab() -> Vocab:
    """The vocabularies of a store holding only the built-in lists (no store at hand)."""
    tax = builtin_taxonomy().sort_values(["field", "sort", "code"], kind="stable")
    values: dict[str, list[str]] = {}
    names: dict[tuple[str, str], tuple[str, str | None]] = {}
    for r in tax.itertuples():
        values.setdefault(r.field, []).append(r.code)
        names[(r.field, r.code)] = (r.name, r.name_en)
    cats = builtin_categories().sort_values("code")
    majors = []
    for r in cats.itertuples():
        names[("category", r.code)] = (r.minor_name, r.name_en)
        if ("category_major", r.major_code) not in names:
            majors.append(r.major_code)
            names[("category_major", r.major_code)] = (r.major_name, r.major_name_en)
    return Vocab({k: tuple(v) for k, v in values.items()}, names, tuple(majors),
                 tuple(cats["code"]))


def current() -> Vocab:
    """The vocabulary of the store the current request's app serves, or the built-in lists
    outside a request (unit tests, tools): how :class:`dashboard.filters.Filters` checks URL
    values when it is not handed a :class:`Vocab`."""
    from flask import current_app, has_app_context

    if has_app_context():
        store = current_app.extensions.get("gridcmd_store")
        if store is not None:
            return vocab(store.cursor())
    return builtin_vocab()


# --- writing: gridcmd import taxonomy -----------------------------------------------------


@dataclass
class ImportReport:
    """What ``gridcmd import taxonomy`` did."""

    field: str
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    kept_in_use: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"分类表 taxonomy {self.field}: 新增 inserted {len(self.inserted)}, "
                 f"更新 updated {len(self.updated)}, 未变 unchanged {self.unchanged}"]
        if self.inserted:
            lines.append("  新增 added: " + "、".join(self.inserted[:20])
                         + (" …" if len(self.inserted) > 20 else ""))
        if self.removed:
            lines.append(f"  移除 removed (not in the file, used by no record) "
                         f"{len(self.removed)}: " + "、".join(self.removed[:20]))
        if self.kept_in_use:
            lines.append(f"  保留 kept (not in the file but used by stored records) "
                         f"{len(self.kept_in_use)}: " + "、".join(self.kept_in_use[:20]))
        return "\n".join(lines)


def read_table(path: Path) -> pd.DataFrame:
    """A taxonomy file as text columns: CSV (UTF-8, with or without BOM, or GBK) or XLSX."""
    path = Path(path)
    if not path.is_file():
        raise TaxonomyError(f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif suffix in (".csv", ".txt"):
            raw = path.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:  # pragma: no cover - gb18030 decodes any byte string
                raise TaxonomyError(f"{path.name}: neither UTF-8 nor GBK")
            import io

            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            raise TaxonomyError(f"{path.name}: expected a .csv or .xlsx file")
    except (ValueError, OSError) as exc:
        if isinstance(exc, TaxonomyError):
            raise
        raise TaxonomyError(f"{path.name}: cannot read: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise TaxonomyError(f"{path.name}: no rows")
    return frame.apply(lambda s: s.str.strip())


def _need(frame: pd.DataFrame, columns, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TaxonomyError(f"{name}: missing column(s) {', '.join(missing)}; the file has "
                            f"{', '.join(frame.columns)}")


def _problems(frame: pd.DataFrame, name: str, checks) -> None:
    """Raise one error listing every bad line (line 2 is the first row after the header)."""
    bad = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        for message in checks(row):
            bad.append(f"line {i}: {message}")
    dup = frame["code"][frame["code"].duplicated(keep="first") & (frame["code"] != "")]
    bad += [f"line {i + 2}: code {c!r} repeats an earlier line" for i, c in dup.items()]
    if bad:
        more = f" (and {len(bad) - 20} more)" if len(bad) > 20 else ""
        raise TaxonomyError(f"{name}: nothing stored; " + "; ".join(bad[:20]) + more)


def _int_or_none(text: str):
    if text == "":
        return None
    value = float(text)
    if not math.isfinite(value) or value < 0 or value != int(value) or value > 100_000:
        raise ValueError(text)
    return int(value)


def _simple_frame(frame: pd.DataFrame, name: str, field_name: str) -> pd.DataFrame:
    _need(frame, ("code", "name"), name)

    def checks(row):
        if not row["code"]:
            yield "empty code"
        if not row["name"]:
            yield f"code {row['code']!r} has no name"
        if len(row["code"]) > 100:
            yield "code longer than 100 characters"
        if row.get("sort", ""):
            try:
                _int_or_none(row["sort"])
            except ValueError:
                yield f"sort {row['sort']!r} is not a whole number"

    _problems(frame, name, checks)
    n = len(frame)
    sort = frame["sort"] if "sort" in frame else pd.Series([""] * n)
    return pd.DataFrame({
        "field": field_name, "code": frame["code"], "name": frame["name"],
        "name_en": frame["name_en"].replace("", None) if "name_en" in frame else None,
        "parent": frame["parent"].replace("", None) if "parent" in frame else None,
        "sort": [int(s) if s else None for s in sort],  # None: kept, or after the last
    })


def _days_as_hours(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A ``deadline_days`` column (as many systems give time limits) as ``deadline_hours``."""
    if "deadline_days" not in frame:
        return frame
    if "deadline_hours" in frame:
        raise TaxonomyError(f"{name}: give deadline_hours or deadline_days, not both")
    hours, bad = [], []
    for i, text in enumerate(frame["deadline_days"], start=2):
        try:
            value = float(text) if text != "" else None
        except ValueError:
            value = math.nan
        if value is None:
            hours.append("")
        elif (not math.isfinite(value) or value <= 0 or value * 24 != round(value * 24)
              or value > 4000):
            bad.append(f"line {i}: deadline_days {text!r} is not a positive number of days "
                       f"in whole hours (empty: no time limit, 无时限)")
            hours.append("")
        else:
            hours.append(str(int(round(value * 24))))
    if bad:
        raise TaxonomyError(f"{name}: nothing stored; " + "; ".join(bad[:20]))
    return frame.drop(columns="deadline_days").assign(deadline_hours=hours)


def _category_frame(con, frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = _days_as_hours(frame, name)
    _need(frame, ("code", "major_name", "minor_name"), name)
    known = dict(con.execute("SELECT major_name, any_value(major_code) FROM categories "
                             "GROUP BY major_name").fetchall())

    def checks(row):
        if not row["code"]:
            yield "empty code"
        if not row["minor_name"]:
            yield f"code {row['code']!r} has no minor_name (小类)"
        if not row["major_name"]:
            yield f"code {row['code']!r} has no major_name (大类)"
        if row.get("domain", "") and row["domain"] not in DOMAINS:
            yield f"domain {row['domain']!r} is not one of {', '.join(DOMAINS)}"
        try:
            _int_or_none(row.get("deadline_hours", ""))
        except ValueError:
            yield (f"deadline_hours {row['deadline_hours']!r} is not a whole number of "
                   f"hours (empty: no time limit, 无时限)")

    _problems(frame, name, checks)

    def col(c, default=""):
        return frame[c] if c in frame else pd.Series([default] * len(frame), index=frame.index)

    major_code = [m or known.get(n, n) for m, n in zip(col("major_code"), frame["major_name"],
                                                        strict=True)]
    return pd.DataFrame({
        "code": frame["code"], "domain": col("domain").replace("", "事件"),
        "major_code": major_code, "major_name": frame["major_name"],
        "minor_name": frame["minor_name"], "name_en": col("name_en").replace("", None),
        "deadline_hours": pd.array([_int_or_none(v) for v in col("deadline_hours")],
                                   dtype="Int32"),
        "dept_kind": col("dept_kind"),
        "major_name_en": col("major_name_en").replace("", None),
    })


def _department_frame(con, frame: pd.DataFrame, name: str) -> pd.DataFrame:
    _need(frame, ("code", "name", "tier", "region_code"), name)
    regions = {}
    for code, short in con.execute("SELECT code, short_code FROM regions").fetchall():
        regions[code] = code
        regions[short] = code
    if any(r[0] == "code_map" for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()):
        for src, code in con.execute("SELECT source_code, code FROM code_map "
                                     "WHERE level <> 'grid'").fetchall():
            regions.setdefault(src, code)

    def checks(row):
        if not row["code"]:
            yield "empty code"
        if not row["name"]:
            yield f"code {row['code']!r} has no name"
        if row["tier"] not in TIERS:
            yield f"tier {row['tier']!r} is not one of {', '.join(TIERS)}"
        if row["region_code"] not in regions:
            yield f"region_code {row['region_code']!r} is not a region of the store"

    _problems(frame, name, checks)
    return pd.DataFrame({
        "code": frame["code"], "name": frame["name"], "tier": frame["tier"],
        "region_code": [regions[r] for r in frame["region_code"]],
        "kind": frame["kind"] if "kind" in frame else "",
    })


def used_values(con, field_name: str) -> set[str]:
    """The values of a vocabulary that stored records hold."""
    parts = " UNION ".join(f"SELECT DISTINCT {col} AS v FROM {table} WHERE {col} IS NOT NULL"
                           for table, col in USES[field_name])
    return {r[0] for r in con.execute(parts).fetchall()}


def rename_columns(frame: pd.DataFrame, columns: dict[str, str] | None,
                   name: str) -> pd.DataFrame:
    """``frame`` with the file's own headers read as ours (``columns``: our column → the
    file's header, as ``--columns code=SR_SHORT_CODE,…`` gives them)."""
    if not columns:
        return frame
    missing = [theirs for theirs in columns.values() if theirs not in frame.columns]
    if missing:
        raise TaxonomyError(f"{name}: --columns names {', '.join(missing)}, which the file "
                            f"does not have; it has {', '.join(frame.columns)}")
    out = frame.drop(columns=[c for c in columns if c in frame.columns
                              and c not in columns.values()])
    return out.assign(**{ours: frame[theirs] for ours, theirs in columns.items()})


def parse_columns(text: str | None) -> dict[str, str]:
    """``code=SR_SHORT_CODE,minor_name=SR_TYPE`` → {ours: the file's header}."""
    out = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise TaxonomyError(f"--columns: expected our=theirs pairs, got {part!r}")
        out[ours.strip()] = theirs.strip()
    return out


def import_file(con, path: Path, field_name: str, replace: bool = False,
                columns: dict[str, str] | None = None) -> ImportReport:
    """Upsert a city's own list from a CSV or XLSX file, in one transaction.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Read-write connection to the store.
    path : Path
        ``code,name[,name_en,parent,sort]`` for a simple list; for ``category``
        ``code,major_name,minor_name[,domain,deadline_hours,dept_kind,name_en,major_code,
        major_name_en]`` (an empty ``deadline_hours`` is 无时限; ``deadline_days`` instead
        gives the limit in days); for ``department`` ``code,name,tier,region_code[,kind]``.
    field_name : str
        A key of :data:`FIELDS`, ``category`` or ``department``.
    replace : bool
        Also remove the values of this field the file does not list, except those stored
        records use (they are kept and reported).
    columns : dict, optional
        Our column → the file's header, for a file with its own headers.

    Raises
    ------
    TaxonomyError
        Unknown field, unreadable file, missing column or bad rows (every bad line is
        named; nothing is stored).
    """
    if field_name not in FIELDS and field_name not in TABLE_FIELDS:
        raise TaxonomyError(f"unknown field {field_name!r}; one of "
                            f"{', '.join([*FIELDS, *TABLE_FIELDS])}")
    path = Path(path)
    frame = rename_columns(read_table(path), columns, path.name)
    if field_name == "category":
        rows, table, key = _category_frame(con, frame, path.name), "categories", ["code"]
    elif field_name == "department":
        rows, table, key = _department_frame(con, frame, path.name), "departments", ["code"]
    else:
        rows, table, key = _simple_frame(frame, path.name, field_name), "taxonomy", \
            ["field", "code"]
    report = ImportReport(field_name)
    where = "WHERE field = $field" if table == "taxonomy" else ""
    params = {"field": field_name} if table == "taxonomy" else {}
    con.execute("BEGIN TRANSACTION")
    try:
        stored = con.execute(f"SELECT * FROM {table} {where}", params).df()
        stored_by = {r["code"]: r for r in stored.to_dict("records")}
        if table == "taxonomy":  # no sort given: a stored value keeps its place, a new one
            last = int(stored["sort"].max()) if len(stored) else 0  # goes after the last
            order = []
            for code, sort in zip(rows["code"], rows["sort"], strict=True):
                if sort is None or pd.isna(sort):
                    if code in stored_by:
                        sort = int(stored_by[code]["sort"])
                    else:
                        last += 1
                        sort = last
                order.append(int(sort))
            rows = rows.assign(sort=order)
        cols = [c for c in rows.columns if c not in key]
        for r in rows.to_dict("records"):
            old = stored_by.get(r["code"])
            if old is None:
                report.inserted.append(r["code"])
            elif any(_differs(old.get(c), r.get(c)) for c in cols):
                report.updated.append(r["code"])
            else:
                report.unchanged += 1
        con.register("taxonomy_frame", rows)
        names = ", ".join(rows.columns)
        on = " AND ".join(f"t.{k} = f.{k}" for k in key)
        sets = ", ".join(f"{c} = f.{c}" for c in cols)
        con.execute(f"UPDATE {table} AS t SET {sets} FROM taxonomy_frame AS f WHERE {on}")
        extra = ", false" if table == "taxonomy" else ""
        con.execute(f"INSERT INTO {table} ({names}{', builtin' if extra else ''}) "
                    f"SELECT {names}{extra} FROM taxonomy_frame AS f WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {table} AS t WHERE {on})")
        con.unregister("taxonomy_frame")
        if replace:
            listed = set(rows["code"])
            used = used_values(con, field_name)
            drop = [c for c in stored_by if c not in listed and c not in used]
            report.kept_in_use = sorted(c for c in stored_by if c not in listed and c in used)
            if drop:
                con.execute(f"DELETE FROM {table} {where or 'WHERE true'} "
                            f"AND list_contains($drop, code)", {**params, "drop": drop})
            report.removed = sorted(drop)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report


def _differs(a, b) -> bool:
    a = None if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA else a
    b = None if b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA else b
    if a is None or b is None:
        return (a is None) != (b is None)
    if isinstance(a, int | float) or isinstance(b, int | float):
        try:
            return float(a) != float(b)
        except (TypeError, ValueError):
            return True
    return str(a) != str(b)


# --- adding values a load brings (a mapping's [taxonomy] add_unknown) ---------------------


def add_values(con, name: str, rows: pd.DataFrame, options: dict | None = None) -> list[str]:
    """Add the values of ``rows`` (``code``, ``name``, for categories also ``major_name``)
    that vocabulary ``name`` lacks; inside the caller's transaction.

    A simple list gets them after its last value (``builtin`` false). A category gets the
    code, its name as 小类, the 大类 of ``major_name`` (a 大类 the store has keeps its code,
    a new one is coded by its name; none: 未分类), ``options["category_domain"]`` (default
    事件) and ``options["category_deadline_hours"]`` (default none: 无时限). A department gets
    the code and name, tier ``city`` and the store's whole area as its region.

    Returns
    -------
    list of str
        The codes added, in code order.
    """
    options = options or {}
    if name == "category":
        known = {r[0] for r in con.execute("SELECT code FROM categories").fetchall()}
    elif name == "department":
        known = {r[0] for r in con.execute("SELECT code FROM departments").fetchall()}
    else:
        known = {r[0] for r in con.execute("SELECT code FROM taxonomy WHERE field = $f",
                                           {"f": name}).fetchall()}
    new = rows[~rows["code"].isin(known)].sort_values("code").reset_index(drop=True)
    if new.empty:
        return []
    if name == "category":
        majors = dict(con.execute("SELECT major_name, min(major_code) FROM categories "
                                  "GROUP BY major_name").fetchall())
        major_en = dict(con.execute("SELECT major_code, any_value(major_name_en) FROM "
                                    "categories GROUP BY major_code").fetchall())
        major = (new["major_name"] if "major_name" in new else pd.Series(
            [None] * len(new))).fillna(UNCLASSIFIED).replace("", UNCLASSIFIED)
        codes = [majors.get(m, m) for m in major]
        hours = options.get("category_deadline_hours")
        frame = pd.DataFrame({
            "code": new["code"], "domain": options.get("category_domain", "事件"),
            "major_code": codes, "major_name": major, "minor_name": new["name"],
            "name_en": None,
            "deadline_hours": pd.array([hours] * len(new), dtype="Int32"),
            "dept_kind": "", "major_name_en": [major_en.get(c) for c in codes]})
        table = "categories"
    elif name == "department":
        root = (con.execute("SELECT code FROM regions WHERE parent_code IS NULL "
                            "ORDER BY code LIMIT 1").fetchall() or [None])[0]
        frame = pd.DataFrame({"code": new["code"], "name": new["name"], "tier": "city",
                              "region_code": root[0] if root else "", "kind": ""})
        table = "departments"
    else:
        base = con.execute("SELECT coalesce(max(sort), 0) FROM taxonomy WHERE field = $f",
                           {"f": name}).fetchall()[0][0]
        frame = pd.DataFrame({"field": name, "code": new["code"], "name": new["name"],
                              "name_en": None, "parent": None,
                              "sort": range(base + 1, base + 1 + len(new)), "builtin": False})
        table = "taxonomy"
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].isna().all():
            frame[col] = frame[col].astype("string")
    con.register("added_frame", frame)
    try:
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM added_frame")
    finally:
        con.unregister("added_frame")
    return list(new["code"])


def relabel(frame: pd.DataFrame, vocab: Vocab | None, name: str, lang: str,
            key: str = "key", label: str = "label") -> pd.DataFrame:
    """``frame`` with its ``label`` column set from the codes in ``key`` in English mode
    (the store's ``name_en`` where set); unchanged in Chinese, whose labels the queries
    already give (with their own additions, such as 大类's ``(部件)``)."""
    if lang == "zh" or vocab is None or frame.empty or key not in frame:
        return frame
    return frame.assign(**{label: [vocab.label(name, k, lang) for k in frame[key]]})
