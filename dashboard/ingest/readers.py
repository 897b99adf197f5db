"""Source files into the staging table ``ingest_raw``, with every unreadable row kept.

Each reader creates the TEMP table ``ingest_raw`` with one column per source column
(``c0``, ``c1`` … for CSV, the source names otherwise), plus ``_r`` (0-based record
ordinal, the batch cursor) and ``_line`` (1-based line of the record in the file: header
= line 1 for CSV, the sheet row for XLSX, the element/line number for JSON, the row number
for Parquet). Rows the parser itself rejects (ragged rows, broken quotes) come back as a
DataFrame with their line, rule and raw text, so they reach the quarantine with the rest.

File-level problems (wrong encoding, empty file, not a table) raise :class:`FileError`:
nothing of such a file is loaded.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import itertools
import json
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.ingest.kinds import KINDS
from dashboard.ingest.mapping import SUFFIX_FORMAT, Mapping

CSV_REJECT_RULES = {
    "MISSING COLUMNS": "ragged_row",
    "TOO MANY COLUMNS": "ragged_row",
    "UNQUOTED VALUE": "unterminated_quote",
    "LINE SIZE OVER MAXIMUM": "line_too_long",
    "CAST": "unparseable_value",
}
# typed CSV staging: a field of these types read by the CSV parser itself; a value it
# cannot convert is a rejected row with this rule (the field named). Times are staged as
# text: DuckDB's CSV reader drops a UTC offset without a word ('…T02:00:00Z' → 02:00), and
# the rule query converts them (validate.py)
CSV_TYPED = {"double": ("DOUBLE", "unparseable_number"),
             "int": ("DOUBLE", "unparseable_number")}
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# members of a .zip that are never the data (folders, macOS resource forks, hidden files)
_ZIP_JUNK = re.compile(r"(^|/)(__MACOSX/|\.)")
_CAST_VALUE = re.compile(r'Could not convert string "(.*)" to')


class FileError(ValueError):
    """A source file that cannot be read as a whole."""


@dataclass
class Staged:
    """What a reader staged: the header → staging column map and the parser's rejects."""

    columns: dict[str, str]
    types: dict[str, str]
    rows: int
    rejects: pd.DataFrame  # line, rule, field (or None), value


def quote(name: str) -> str:
    """A safely quoted SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame({"line": pd.Series(dtype="int64"), "rule": pd.Series(dtype=object),
                         "field": pd.Series(dtype=object), "value": pd.Series(dtype=object)})


def _rejects(rows: list[tuple]) -> pd.DataFrame:
    """Rejected rows of the XLSX and JSON readers: (line, rule, value) each."""
    if not rows:
        return _no_rejects()
    frame = pd.DataFrame(rows, columns=["line", "rule", "value"])
    frame.insert(2, "field", None)
    return frame


def csv_types(mapping: Mapping, header: list[str]) -> dict[str, str]:
    """Staging types of the CSV columns: a source column holding a time or number field
    that the mapping takes as written (no value map, no default, ISO times) is parsed by
    DuckDB's CSV reader, which is several times faster than staging text and casting it;
    everything else is staged as text and parsed by the rule query."""
    kind = KINDS[mapping.kind]
    field_of = {src: f for f, src in mapping.columns.items()}
    types = {}
    for i, h in enumerate(header):
        f = field_of.get(h)
        typed = None
        if f is not None and f not in mapping.values and f not in mapping.defaults:
            t = kind.field(f).type
            if t in CSV_TYPED:
                typed = CSV_TYPED[t][0]
        types[f"c{i}"] = typed or "VARCHAR"
    return types


def stage(con, path: Path, mapping: Mapping, name: str | None = None) -> Staged:
    """Read ``path`` into ``ingest_raw`` on ``con`` according to ``mapping``; a ``.gz`` or
    ``.zip`` file (also one recognised by its first bytes) is read from inside. ``name``
    is the file's name in messages (default: its own)."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise FileError(f"{name or path.name}: empty file (0 bytes)")
    with unpacked(path, mapping, name) as (data, fmt, label):
        if data.stat().st_size == 0:
            raise FileError(f"{label}: empty file (0 bytes)")
        reader = {"csv": _csv, "xlsx": _xlsx, "parquet": _parquet, "json": _json}[fmt]
        staged = reader(con, data, mapping, label)
    cols = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_name = 'ingest_raw_t'").fetchall()
    staged.types = {c: t for c, t in cols}
    return staged


def _container(path: Path, mapping: Mapping) -> str | None:
    """'gzip', 'zip' or None: by the suffix, else by the first bytes (a CSV or JSON export
    that is really compressed; an .xlsx is a zip by design and read as one)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".zip"):
        return "zip"
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head == ZIP_MAGIC and (mapping.format or SUFFIX_FORMAT.get(path.suffix.lower())) \
            not in ("xlsx",):
        return "zip"
    return None


@contextmanager
def unpacked(path: Path, mapping: Mapping, name: str | None = None
             ) -> Iterator[tuple[Path, str, str]]:
    """The data file to read, its format and the name messages use.

    A gzip file is decompressed, and the data member of a zip archive extracted, to a
    temporary file (removed afterwards): the readers, DuckDB's included, then work on a
    plain file of the inner format (``x.csv.gz`` → CSV; ``x.zip`` → its member's suffix).
    A zip with several data members needs ``[source] member``.

    Raises
    ------
    FileError
        A damaged or truncated archive, a zip without a data member, several without a
        ``member``, or a ``member`` the archive lacks (the members are listed).
    """
    shown = name or path.name
    kind = _container(path, mapping)
    if kind is None:
        yield path, mapping.format_of(Path(shown)), shown
        return
    with tempfile.TemporaryDirectory(prefix="gridcmd-ingest-") as tmp:
        if kind == "gzip":
            inner = shown[:-3] if shown.lower().endswith(".gz") else shown
            out = Path(tmp) / ("data" + Path(inner).suffix.lower())
            try:
                with gzip.open(path, "rb") as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
            except (OSError, EOFError, zlib.error) as exc:
                raise FileError(f"{shown}: not a readable gzip file ({exc}); the file is "
                                f"damaged or truncated") from None
            yield out, mapping.format_of(Path(inner)), f"{shown} (decompressed)"
            return
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise FileError(f"{shown}: not a readable zip archive ({exc})") from None
        with archive:
            member = _zip_member(archive, shown, mapping)
            inner = _member_name(member)
            out = Path(tmp) / ("data" + Path(inner).suffix.lower())
            try:
                with archive.open(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, zlib.error,
                    NotImplementedError) as exc:
                raise FileError(f"{shown}: cannot extract {inner!r} ({exc})") from None
        yield out, mapping.format_of(Path(inner)), f"{shown} (member {inner})"


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as written: archives made on Chinese Windows store GBK names without
    the UTF-8 flag, which Python reads as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


def _zip_member(archive: zipfile.ZipFile, name: str, mapping: Mapping) -> zipfile.ZipInfo:
    files = [i for i in archive.infolist()
             if not i.is_dir() and not _ZIP_JUNK.search(_member_name(i))]
    names = [_member_name(i) for i in files]
    if mapping.member is not None:
        for info, n in zip(files, names, strict=True):
            if mapping.member in (n, Path(n).name):
                return info
        raise FileError(f"{name}: no member {mapping.member!r}; the archive holds {names}")
    data = [(i, n) for i, n in zip(files, names, strict=True)
            if mapping.format or Path(n).suffix.lower() in SUFFIX_FORMAT]
    if len(data) == 1:
        return data[0][0]
    if not data:
        raise FileError(f"{name}: no data file (csv, xlsx, parquet, json) in the archive; "
                        f"it holds {names}")
    raise FileError(f"{name}: the archive holds {len(data)} data files "
                    f"{[n for _, n in data]}; name the one to load with [source] member = "
                    f"\"...\" in the mapping")


def _transcode(path: Path, encoding: str, name: str) -> Path:
    """A UTF-8 copy of a GBK/GB18030 file beside the system temp dir; FileError if the
    bytes are not in that encoding."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="gridcmd-ingest-")
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    try:
        with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8") as dst:
            while chunk := src.read(1 << 22):
                try:
                    dst.write(dec.decode(chunk))
                except UnicodeDecodeError as exc:
                    raise FileError(
                        f"{name}: not {encoding} encoded (bad bytes near byte "
                        f"{offset + exc.start}); set [source] encoding in the mapping"
                    ) from None
                offset += len(chunk)
            dst.write(dec.decode(b"", final=True))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _csv(con, path: Path, mapping: Mapping, name: str) -> Staged:
    enc = mapping.encoding
    src = path
    if enc in ("gbk", "gb18030"):
        src = _transcode(path, enc, name)
        enc = "utf-8"
    try:
        with open(src, encoding=enc, newline="") as fh:
            reader = csv.reader(fh, delimiter=mapping.delimiter)
            try:
                top = [next(reader)]
                for _ in range(max(mapping.header_row or 2, 2) - 1):
                    row = next(reader, None)
                    if row is None:
                        break
                    top.append(row)
            except StopIteration:
                raise FileError(f"{name}: empty file") from None
            except UnicodeDecodeError:
                raise FileError(f"{name}: not UTF-8 encoded; set [source] encoding "
                                f"(e.g. \"gbk\") in the mapping") from None
        if top[0] and top[0][0].startswith("\ufeff"):
            top[0][0] = top[0][0][1:]
        header_row = header_row_of(top, mapping)
        if header_row > len(top):
            raise FileError(f"{name}: no header row {header_row} ([source] header_row); the "
                            f"file has {len(top)} row(s)")
        header = [h.strip() for h in top[header_row - 1]]
        if not any(header):
            raise FileError(f"{name}: no header row")
        names = {h: f"c{i}" for i, h in enumerate(header)}
        columns = csv_types(mapping, header)
        drop_staging(con)
        for t in ("ingest_rejects", "ingest_reject_scans"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        try:
            con.execute(
                "CREATE TEMP TABLE ingest_raw_t AS "
                "SELECT * FROM read_csv($p, columns = $cols, "
                "auto_detect = false, header = false, skip = $skip, delim = $d, quote = '\"', "
                "escape = '\"', strict_mode = true, store_rejects = true, "
                "rejects_table = 'ingest_rejects', rejects_scan = 'ingest_reject_scans', "
                "encoding = 'utf-8')",
                {"p": str(src), "cols": columns, "d": mapping.delimiter, "skip": header_row})
        except Exception as exc:  # duckdb raises several classes for unreadable input
            raise FileError(f"{name}: cannot read as CSV: {str(exc).splitlines()[0]}") \
                from None
        rej = con.execute("SELECT line, error_type, csv_line, column_name, error_message "
                          "FROM ingest_rejects ORDER BY line").df()
    finally:
        if src != path:
            src.unlink(missing_ok=True)
    if (rej["error_type"] == "INVALID UNICODE").any():
        drop_staging(con)
        raise FileError(f"{name}: not UTF-8 encoded (line "
                        f"{int(rej.loc[rej.error_type == 'INVALID UNICODE', 'line'].min())}); "
                        f"set [source] encoding (e.g. \"gbk\") in the mapping")
    # a rejected record can span lines (an open quote runs to the end of the file)
    rej = rej.drop_duplicates("line")
    n = con.execute("SELECT count(*) FROM ingest_raw_t").fetchall()[0][0]
    bad = rej["line"].to_numpy(dtype=np.int64)
    if len(bad) == 0:
        con.execute("CREATE TEMP VIEW ingest_raw AS "
                    f"SELECT *, rowid AS _r, rowid + {int(header_row) + 1} AS _line "
                    "FROM ingest_raw_t")
    else:
        # lines of the good records: the lines after the header that no rejected record
        # starts on
        first = header_row + 1
        lines = np.arange(first, n + len(bad) + first, dtype=np.int64)
        _set_lines(con, np.setdiff1d(lines, bad, assume_unique=True)[:n])
    rule = rej["error_type"].map(CSV_REJECT_RULES).fillna("unreadable_row")
    value = rej["csv_line"].str.slice(0, 500)
    field = pd.Series(None, index=rej.index, dtype=object)
    cast = rej["error_type"] == "CAST"
    if cast.any():
        # a typed column's value did not parse: the field's unparseable rule, as the rule
        # query would name it, with the value as written
        kind = KINDS[mapping.kind]
        by_col = {f"c{i}": h for i, h in enumerate(header)}
        field_of = {src: f for f, src in mapping.columns.items()}
        for i in rej.index[cast]:
            f = field_of.get(by_col.get(rej.at[i, "column_name"]))
            if f is None:
                continue
            field.at[i] = f
            rule.at[i] = CSV_TYPED[kind.field(f).type][1]
            m = _CAST_VALUE.search(str(rej.at[i, "error_message"]))
            if m:
                value.at[i] = m.group(1)
    rejects = pd.DataFrame({"line": bad, "rule": rule.to_numpy(), "field": field.to_numpy(),
                            "value": value.to_numpy()})
    return Staged(columns=names, types={}, rows=int(n), rejects=rejects)


def header_row_of(top: list[list[str]], mapping: Mapping) -> int:
    """The 1-based row of the column headers: ``[source] header_row``, else 2 when the
    first row is a title (one non-empty cell, as a merged title row is exported) above a
    row of several, else 1. ``top`` holds the file's first rows as text."""
    if mapping.header_row is not None:
        return mapping.header_row

    def filled(row):
        return sum(1 for v in row if str(v).strip())

    if len(top) >= 2 and filled(top[0]) == 1 and filled(top[1]) > 1:
        return 2
    return 1


def drop_staging(con) -> None:
    con.execute("DROP VIEW IF EXISTS ingest_raw")
    con.execute("DROP TABLE IF EXISTS ingest_raw_t")


def _set_lines(con, lines: np.ndarray) -> None:
    """Number the staged rows: ``_r`` in file order and ``_line`` from ``lines``."""
    con.register("ingest_lines", pd.DataFrame({"_line": lines}))
    try:
        con.execute("CREATE TEMP TABLE ingest_raw_l AS "
                    "SELECT r.*, l._line, CAST(r.rowid AS BIGINT) AS _r "
                    "FROM ingest_raw_t r POSITIONAL JOIN ingest_lines l")
    finally:
        con.unregister("ingest_lines")
    con.execute("DROP TABLE ingest_raw_t")
    con.execute("ALTER TABLE ingest_raw_l RENAME TO ingest_raw_t")
    con.execute("CREATE TEMP VIEW ingest_raw AS SELECT * FROM ingest_raw_t")


def _frame_to_raw(con, frame: pd.DataFrame, lines: np.ndarray) -> dict[str, str]:
    return _frames_to_raw(con, [(frame, lines)])


# rows of an XLSX sheet held in Python at a time: the sheet is staged in chunks of these
XLSX_CHUNK_ROWS = 50_000


def _frames_to_raw(con, chunks) -> dict[str, str]:
    """Stage ``(frame, lines)`` chunks, in file order, as ``ingest_raw``: only one chunk is
    held in Python at a time (the first creates the table, the others are appended)."""
    drop_staging(con)
    n = 0
    names = None
    for frame, lines in chunks:
        frame = frame.copy()
        frame.columns = [str(c).strip() for c in frame.columns]
        frame["_line"] = np.asarray(lines, dtype=np.int64)
        frame["_r"] = np.arange(n, n + len(frame), dtype=np.int64)
        con.register("ingest_frame", frame)
        try:
            con.execute("INSERT INTO ingest_raw_t SELECT * FROM ingest_frame" if names
                        is not None else
                        "CREATE TEMP TABLE ingest_raw_t AS SELECT * FROM ingest_frame")
        finally:
            con.unregister("ingest_frame")
        if names is None:
            names = {c: c for c in frame.columns if c not in ("_line", "_r")}
        n += len(frame)
    con.execute("CREATE TEMP VIEW ingest_raw AS SELECT * FROM ingest_raw_t")
    return names


def _xlsx(con, path: Path, mapping: Mapping, name: str) -> Staged:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileError(f"{name}: not an xlsx workbook: {exc}") from None
    try:
        ws = wb[mapping.sheet] if mapping.sheet else wb.worksheets[0]
    except KeyError:
        raise FileError(f"{name}: no sheet {mapping.sheet!r}") from None
    rows = ws.iter_rows(values_only=True)
    raw_top = []
    for row in rows:
        raw_top.append(tuple(row or ()))
        if len(raw_top) >= max(mapping.header_row or 2, 2):
            break
    if not raw_top:
        wb.close()
        raise FileError(f"{name}: empty sheet")
    top = [["" if v is None else str(v) for v in r] for r in raw_top]
    header_row = header_row_of(top, mapping)
    if header_row > len(top):
        wb.close()
        raise FileError(f"{name}: no header row {header_row} ([source] header_row); the "
                        f"sheet has {len(top)} row(s)")
    header = [h.strip() for h in top[header_row - 1]]
    rejects = []
    width = len(header)
    # rows read ahead to find the header that lie below it are data
    ahead = raw_top[header_row:]
    count = [0]

    def chunks():
        body, lines = [], []
        for i, row in enumerate(itertools.chain(ahead, rows), start=header_row + 1):
            if row is None or all(v is None for v in row):
                continue
            vals = ["" if v is None else (v.isoformat(sep=" ") if hasattr(v, "isoformat")
                                          else str(v)) for v in row]
            if len(vals) > width and any(vals[width:]):
                rejects.append((i, "ragged_row", ",".join(vals)[:500]))
                continue
            body.append(vals[:width] + [""] * (width - len(vals)))
            lines.append(i)
            if len(body) >= XLSX_CHUNK_ROWS:
                count[0] += len(body)
                yield pd.DataFrame(body, columns=header, dtype=object), lines
                body, lines = [], []
        if body or not count[0]:
            count[0] += len(body)
            yield (pd.DataFrame(body, columns=header, dtype=object) if body else
                   pd.DataFrame({h: pd.Series(dtype=object) for h in header})), lines

    try:
        names = _frames_to_raw(con, chunks())
    finally:
        wb.close()
    return Staged(columns=names, types={}, rows=count[0], rejects=_rejects(rejects))


def _parquet(con, path: Path, mapping: Mapping, name: str) -> Staged:
    drop_staging(con)
    try:
        con.execute("CREATE TEMP TABLE ingest_raw_t AS SELECT * "
                    "FROM read_parquet($p)", {"p": str(path)})
    except Exception as exc:
        raise FileError(f"{name}: cannot read as Parquet: {str(exc).splitlines()[0]}") \
            from None
    con.execute("CREATE TEMP VIEW ingest_raw AS "
                "SELECT *, rowid AS _r, rowid + 1 AS _line FROM ingest_raw_t")
    names = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                       "WHERE table_name = 'ingest_raw_t'").fetchall()]
    n = con.execute("SELECT count(*) FROM ingest_raw_t").fetchall()[0][0]
    return Staged(columns={c: c for c in names if c not in ("_line", "_r")}, types={},
                  rows=int(n), rejects=_no_rejects())


def _json(con, path: Path, mapping: Mapping, name: str) -> Staged:
    text = path.read_bytes()
    try:
        decoded = text.decode(mapping.encoding)
    except UnicodeDecodeError:
        raise FileError(f"{name}: not {mapping.encoding} encoded; set [source] encoding "
                        f"(e.g. \"gbk\") in the mapping") from None
    stripped = decoded.lstrip("\ufeff").strip()
    if not stripped:
        raise FileError(f"{name}: empty file")
    records, lines, rejects = json_records(stripped, name)
    frame = records_frame(records)
    names = _frame_to_raw(con, frame, np.array(lines, dtype=np.int64))
    return Staged(columns=names, types={}, rows=len(frame), rejects=_rejects(rejects))


def json_records(text: str, name: str):
    """Records of a JSON array, an object with a ``records`` array, or NDJSON.

    A line of NDJSON that does not parse, or an element that is not an object, is a
    rejected row (line, ``malformed_json``); a document that does not parse at all is a
    :class:`FileError`.
    """
    rejects = []
    if text.startswith("[") or text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            if text.startswith("{") and "\n" in text:
                doc = None  # maybe NDJSON
            else:
                raise FileError(f"{name}: not valid JSON: {exc}") from None
        if doc is not None:
            if isinstance(doc, dict):
                doc = doc.get("records", doc.get("events"))
                if not isinstance(doc, list):
                    raise FileError(f"{name}: expected a JSON array of records or "
                                    f"{{\"records\": [...]}}")
            records, lines = [], []
            for i, rec in enumerate(doc, start=1):
                if isinstance(rec, dict):
                    records.append(rec)
                    lines.append(i)
                else:
                    rejects.append((i, "malformed_json", json.dumps(rec, ensure_ascii=False)
                                    [:500]))
            return records, lines, rejects
    records, lines = [], []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            rejects.append((i, "malformed_json", line[:500]))
            continue
        if isinstance(rec, dict):
            records.append(rec)
            lines.append(i)
        else:
            rejects.append((i, "malformed_json", line[:500]))
    if not records and not rejects:
        raise FileError(f"{name}: no records")
    return records, lines, rejects


def records_frame(records: list[dict]) -> pd.DataFrame:
    """All values as text (None stays None), columns in first-seen order."""
    cols: dict[str, None] = {}
    for rec in records:
        for k in rec:
            cols.setdefault(str(k), None)
    data = {c: [None if (v := rec.get(c)) is None else
                (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else
                 str(v).lower() if isinstance(v, bool) else str(v)) for rec in records]
            for c in cols}
    return pd.DataFrame(data, dtype=object) if cols else pd.DataFrame()
