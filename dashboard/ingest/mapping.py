"""Column maps: how a foreign system's export becomes one of our record kinds, in TOML.

A mapping names, for each target field of a kind, the source column that holds it; it may
translate values (``[values.<field>]``), fill constants (``[defaults]``), say how times
are written, which coordinate system the points are in, and how the file is encoded. So a
new upstream system needs a new TOML file, not new code. Example files live in
``dashboard/ingest/mappings/``; the format is documented in docs/ingest.md.

```toml
kind = "incidents"
[source]
format = "csv"            # csv | xlsx | parquet | json; default: from the file suffix
encoding = "gbk"          # utf-8 (default) | gbk | gb18030 | utf-8-sig
delimiter = ","
crs = "gcj02"             # EPSG:4326 (default), EPSG:4490, EPSG:4549, gcj02, bd09 ...
time_format = "%Y/%m/%d %H:%M"   # tried after ISO 8601
timezone = "Asia/Shanghai"       # zone of times without an offset (default: the store's)
member = "工单.csv"        # the data file inside a .zip holding several
header_row = 2            # CSV/XLSX: 1-based row of the header (default: 1, or 2 after a title row)
[columns]
case_no = "工单编号"
reported_at = "受理时间"
[values.category_code]
"噪声扰民" = "E0501"
[defaults]
source = "12345热线"
[taxonomy]                # optional: values missing from the store's lists are added
add_unknown = ["source", "category_code"]
category_major = "问题大类"        # column with an added category's 大类 (default 未分类)
```
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.clock import zone
from dashboard.ingest import crs as crs_mod
from dashboard.ingest.kinds import KINDS
from dashboard.ingest.quality import QualityError, QualityRules
from dashboard.taxonomy import DOMAINS

FORMATS = ("csv", "xlsx", "parquet", "json")
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gbk",
             "gb2312": "gbk", "gb18030": "gb18030", "cp936": "gbk"}
SUFFIX_FORMAT = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
                 ".pq": "parquet", ".json": "json", ".ndjson": "json", ".jsonl": "json"}
#: compressed containers read by dashboard.ingest.readers (the format is the inner suffix's)
COMPRESSED = (".gz", ".zip")
SOURCE_KEYS = ("format", "encoding", "delimiter", "sheet", "crs", "time_format", "timezone",
               "member", "header_row")


class MappingError(ValueError):
    """A mapping file that cannot be used (unknown field, bad value, unknown CRS)."""


@dataclass(frozen=True)
class Mapping:
    """A parsed column map.

    Attributes
    ----------
    kind : str
        Record kind (a key of ``kinds.KINDS``).
    columns : dict
        Target field → source column name.
    values : dict
        Target field → {source value → stored value}.
    defaults : dict
        Target field → constant used where the source has no column or an empty value.
    add_unknown : tuple of str
        Vocabulary fields (``kinds.Kind.vocab``) whose values missing from the store's
        lists are added to them (reported in the load summary) instead of quarantined.
    taxonomy : dict
        How added categories are described: ``category_major`` (source column with the
        大类 name; default 未分类), ``category_domain`` (default 事件),
        ``category_deadline_hours`` (default none: 无时限).
    """

    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)
    format: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    crs: str = "EPSG:4326"
    time_format: str | None = None
    timezone: str | None = None  # zone of naive times; None: the store's zone
    member: str | None = None  # the data member of a .zip archive
    # CSV/XLSX: 1-based row of the header; None: row 1, or row 2 when row 1 is a title (a
    # single non-empty cell above a row of several, as a merged title row is exported)
    header_row: int | None = None
    name: str = "identity"
    # [rules]: settings of the generic rules for this source (``earliest``: the earliest
    # plausible time, an ISO date)
    rules: dict[str, str] = field(default_factory=dict)
    add_unknown: tuple[str, ...] = ()
    taxonomy: dict[str, object] = field(default_factory=dict)
    quality: QualityRules = field(default_factory=QualityRules)  # [quality]: placeholder points

    @classmethod
    def identity(cls, kind: str, **source) -> Mapping:
        """The mapping of our own column names (used by the HTTP intake and tests)."""
        spec = _kind(kind)
        return cls(kind=kind, columns={f.name: f.name for f in spec.fields}, **source)

    @classmethod
    def from_dict(cls, data: dict, kind: str | None = None, name: str = "mapping") -> Mapping:
        kind = kind or data.get("kind")
        if not kind:
            raise MappingError(f"{name}: no kind (give --kind or kind = \"...\")")
        if data.get("kind") and kind != data["kind"]:
            raise MappingError(f"{name}: maps {data['kind']!r}, not {kind!r}")
        spec = _kind(kind)
        known = {f.name for f in spec.fields}
        unknown_top = set(data) - {"kind", "source", "columns", "values", "defaults", "rules",
                                   "taxonomy", "quality"}
        if unknown_top:
            raise MappingError(f"{name}: unknown sections {sorted(unknown_top)}")
        columns = {str(k): str(v) for k, v in data.get("columns", {}).items()}
        values = {str(k): {str(a): str(b) for a, b in v.items()}
                  for k, v in data.get("values", {}).items()}
        defaults = dict(data.get("defaults", {}))
        for section, keys in (("columns", columns), ("values", values), ("defaults", defaults)):
            bad = set(keys) - known
            if bad:
                raise MappingError(f"{name}: [{section}] names unknown {kind} fields "
                                   f"{sorted(bad)}; known: {sorted(known)}")
        src = dict(data.get("source", {}))
        bad = set(src) - set(SOURCE_KEYS)
        if bad:
            raise MappingError(f"{name}: unknown [source] keys {sorted(bad)}")
        tz = src.get("timezone")
        if tz is not None:
            try:
                tz = zone(str(tz)).key
            except ValueError as exc:
                raise MappingError(f"{name}: [source] timezone: {exc}") from None
        fmt = src.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise MappingError(f"{name}: format must be one of {FORMATS}, got {fmt!r}")
        enc = str(src.get("encoding", "utf-8")).lower()
        if enc not in ENCODINGS:
            raise MappingError(f"{name}: encoding must be one of {sorted(ENCODINGS)}, "
                               f"got {enc!r}")
        try:
            crs = crs_mod.normalise(src.get("crs"))
        except crs_mod.CRSError as exc:
            raise MappingError(f"{name}: {exc}") from exc
        rules = _rules(data.get("rules", {}), name)
        delim = str(src.get("delimiter", ","))
        if len(delim) != 1:
            raise MappingError(f"{name}: delimiter must be one character")
        header_row = src.get("header_row")
        if header_row is not None and (isinstance(header_row, bool)
                                       or not isinstance(header_row, int)
                                       or not 1 <= header_row <= 1000):
            raise MappingError(f"{name}: [source] header_row must be a row number from 1 "
                               f"(the 1-based row of the column headers), got {header_row!r}")
        add_unknown, taxonomy = _taxonomy(dict(data.get("taxonomy", {})), spec, name)
        try:
            quality = QualityRules.from_dict(data.get("quality", {}), name)
        except QualityError as exc:
            raise MappingError(str(exc)) from exc
        return cls(kind=kind, columns=columns, values=values, defaults=defaults, format=fmt,
                   encoding=ENCODINGS[enc], delimiter=delim, sheet=src.get("sheet"),
                   crs=crs, time_format=src.get("time_format"), timezone=tz,
                   member=src.get("member"), header_row=header_row, name=name, rules=rules,
                   add_unknown=add_unknown, taxonomy=taxonomy, quality=quality)

    @classmethod
    def load(cls, path: str | Path, kind: str | None = None) -> Mapping:
        """Read a mapping TOML file; :class:`MappingError` with the file name if unusable."""
        path = Path(path)
        if not path.is_file():
            raise MappingError(f"mapping file not found: {path}")
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"{path}: not valid TOML: {exc}") from exc
        return cls.from_dict(data, kind=kind, name=path.name)

    def canonical(self) -> dict:
        """What decides how a file is read and typed: kind, columns, value maps, defaults
        and source options (not the mapping's file name), in a stable form."""
        out = {"kind": self.kind, "columns": self.columns, "values": self.values,
               "defaults": {k: str(v) for k, v in self.defaults.items()},
               "source": {k: getattr(self, k) for k in SOURCE_KEYS
                          # left out when not set: the hash of earlier mappings is kept
                          if k != "header_row" or self.header_row is not None},
               "rules": self.rules}
        if self.add_unknown or self.taxonomy:  # what a load adds to the store's lists
            out["taxonomy"] = {"add_unknown": list(self.add_unknown),
                               **{k: str(v) for k, v in self.taxonomy.items()}}
        if self.quality != QualityRules():  # [quality] decides where rows go, when given
            from dataclasses import asdict

            out["quality"] = asdict(self.quality)
        return out

    @property
    def sha256(self) -> str:
        """Hash of :meth:`canonical`: with the file's hash and the rules version the
        idempotence key of a batch (a corrected mapping loads the same file again)."""
        text = json.dumps(self.canonical(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def format_of(self, path: Path) -> str:
        """The format of ``path``: ``[source] format``, else its suffix, looking inside a
        compressed suffix (``x.csv.gz`` is CSV; a ``.zip`` member's own suffix)."""
        if self.format:
            return self.format
        name = path.name.lower()
        for suffix in COMPRESSED:
            if name.endswith(suffix):
                name = name[:-len(suffix)]
        fmt = SUFFIX_FORMAT.get(Path(name).suffix)
        if fmt is None:
            raise MappingError(f"{path.name}: cannot tell the format from the suffix; "
                               f"set [source] format in the mapping")
        return fmt


def _rules(section, name: str) -> dict[str, str]:
    """The ``[rules]`` section: ``earliest`` (an ISO date) is the only key."""
    from datetime import date

    if not isinstance(section, dict):
        raise MappingError(f"{name}: [rules] must be a table")
    bad = set(section) - {"earliest"}
    if bad:
        raise MappingError(f"{name}: unknown [rules] keys {sorted(bad)}; known: earliest")
    out = {}
    if "earliest" in section:
        value = section["earliest"]
        try:
            out["earliest"] = (value if isinstance(value, date)
                               else date.fromisoformat(str(value))).isoformat()
        except ValueError:
            raise MappingError(f"{name}: [rules] earliest must be a date (YYYY-MM-DD), "
                               f"got {value!r}") from None
    return out
TAXONOMY_KEYS = ("add_unknown", "category_major", "category_domain",
                 "category_deadline_hours")


def _taxonomy(section: dict, spec, name: str) -> tuple[tuple[str, ...], dict]:
    """The ``[taxonomy]`` section: which vocabulary fields add their unknown values."""
    bad = set(section) - set(TAXONOMY_KEYS)
    if bad:
        raise MappingError(f"{name}: unknown [taxonomy] keys {sorted(bad)}; known: "
                           f"{list(TAXONOMY_KEYS)}")
    fields = section.pop("add_unknown", [])
    if isinstance(fields, str) or not isinstance(fields, list) \
            or not all(isinstance(f, str) for f in fields):
        raise MappingError(f"{name}: [taxonomy] add_unknown must be a list of field names")
    wrong = [f for f in fields if f not in spec.vocab]
    if wrong:
        raise MappingError(f"{name}: [taxonomy] add_unknown names {wrong}, which are not "
                           f"vocabulary fields of {spec.name}; those are "
                           f"{sorted(spec.vocab)}")
    adds_category = any(spec.vocab[f] == "category" for f in fields)
    if section and not adds_category:
        raise MappingError(f"{name}: [taxonomy] {sorted(section)} describe added categories; "
                           f"add_unknown does not add category_code")
    domain = section.get("category_domain")
    if domain is not None and domain not in DOMAINS:
        raise MappingError(f"{name}: [taxonomy] category_domain must be "
                           f"{', '.join(DOMAINS[:-1])} or {DOMAINS[-1]}")
    hours = section.get("category_deadline_hours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int)
                              or not 0 < hours <= 100_000):
        raise MappingError(f"{name}: [taxonomy] category_deadline_hours must be a whole "
                           f"number of hours (leave it out for 无时限)")
    major = section.get("category_major")
    if major is not None and not isinstance(major, str):
        raise MappingError(f"{name}: [taxonomy] category_major must be a column name")
    return tuple(dict.fromkeys(fields)), section


def _kind(kind: str):
    if kind not in KINDS:
        raise MappingError(f"unknown kind {kind!r}; one of {sorted(KINDS)}")
    return KINDS[kind]
