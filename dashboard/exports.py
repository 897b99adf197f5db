"""Exports of exactly the filtered set: ``/export/cases.csv`` and ``/export/cases.xlsx``.

The query string is the analyst page's filter state (``dashboard.filters.Filters``), the
scope the session's (``dashboard.access.user_scope``): the file holds the rows the table
pages through, no more. Every export leaves an audit record with the ids it returned.
CSV is UTF-8 with a byte-order mark so Excel opens the Chinese
text correctly; XLSX is written in openpyxl's streaming mode. Every cell goes through
:mod:`dashboard.sheets` (no formula injection, no control character that breaks a sheet).
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pandas as pd
from flask import Blueprint, Response, request
from pyarrow.lib import ArrowException

import queries
from dashboard import access, auth, levels, pagememo
from dashboard import cases_data as data
from dashboard.filters import Filters
from dashboard.http import json_error
from dashboard.kpi.scope import Scope
from dashboard.settings import Settings
from dashboard.sheets import safe_cell, safe_row, xlsx_cell
from dashboard.slots import Busy, Held, Slots, releasing
from dashboard.store import Store
from dashboard.urls import EXPORT_PATH
from queries.shared_cache import SharedCache, file_pieces, folder_of

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
XLSX_MAX_ROWS = 1_048_575  # the sheet's limit, less the header row
COLUMNS = (("case_no", "案件编号"), ("reported_at", "上报时间"), ("major", "大类"),
           ("category", "小类"), ("source", "来源"), ("status", "状态"), ("town", "乡镇(街道)"),
           ("village", "村(社区)"), ("grid", "网格"), ("grid_code", "网格编码"),
           ("tier", "处置层级"), ("department", "处置部门"), ("deadline_at", "处置时限"),
           ("closed_at", "结案时间"), ("handle_hours", "处置用时(小时)"),
           ("overdue", "超期"), ("rework_count", "返工次数"))


def _value(value):
    if value is None or (not isinstance(value, str | bool) and pd.isna(value)):
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, float):
        return round(value, 2)
    return value


def is_text(series: pd.Series) -> bool:
    """Whether a column may hold text cells: anything but times, flags and numbers (dtype
    kinds M, b, i, u, f), which are written as dates, 是 and numbers. The one place that
    decides it, for :func:`_cells` and for :func:`csv_pieces`' formula check."""
    return series.dtype.kind not in "Mbiuf"


def _cells(series: pd.Series, text: bool) -> list:
    """:func:`_value` of every cell of one column (``text``: :func:`is_text` of it),
    column-wise where the dtype allows (a 30-day city export at 10M is 280k rows × 17
    columns: cell by cell it took most of 30 s); the same values as cell by cell
    (``tests/unit/test_exports.py``)."""
    if text:
        values = series.astype(object).tolist()
        if all(isinstance(v, str) for v in values):
            return values
        return [_value(v) for v in values]
    if pd.api.types.is_datetime64_any_dtype(series) and series.dt.tz is None:
        return series.dt.strftime("%Y-%m-%d %H:%M:%S").where(series.notna(), "").tolist()
    if pd.api.types.is_bool_dtype(series) and not series.hasnans:
        return np.where(series.to_numpy(dtype=bool), "是", "").tolist()
    if pd.api.types.is_integer_dtype(series) and not series.hasnans:
        return series.to_numpy().tolist()
    if pd.api.types.is_float_dtype(series):
        return ["" if v != v else round(v, 2) for v in series.to_numpy().tolist()]
    return [_value(v) for v in series.tolist()]


def header_of(lv: levels.Levels = levels.NATIONAL) -> tuple[list[str], list[str]]:
    """The export's columns (``cases_page`` frame names) and their header.

    The town and village columns follow the store's levels (:mod:`dashboard.levels`):
    headed by the store's own names, and left out for a pass-through slot (it would repeat
    the precinct's name).
    """
    columns = [(c, lv.name(c) or label if c in ("town", "village") else label)
               for c, label in COLUMNS if c not in lv.hidden_levels]
    return [c for c, _ in columns], [label for _, label in columns]


def columns_of(frame, lv: levels.Levels = levels.NATIONAL
               ) -> tuple[list[str], list[str], list[list], list[bool]]:
    """The export's columns (frame names), header, values column by column and whether
    each column may hold text (:func:`is_text`), of a ``cases_page`` frame (see
    :func:`header_of`)."""
    names, header = header_of(lv)
    text = [is_text(frame[c]) for c in names]
    return names, header, [_cells(frame[c], t) for c, t in zip(names, text, strict=True)], text


def rows_of(frame, lv: levels.Levels = levels.NATIONAL) -> list[list]:
    """The export rows (header first) of a ``cases_page`` frame (see :func:`columns_of`)."""
    _, header, values, _ = columns_of(frame, lv)
    return [header, *map(list, zip(*values, strict=True))]


# text cells a spreadsheet could read as a formula or cannot hold: those that
# dashboard.sheets.safe_text changes (a trigger first, after leading blanks; a control).
# Written for both Python's re and Arrow's RE2 (no \u escape: the ideographic space as
# itself)
_UNSAFE = (r"^[ \n" + "\u3000" + r"]*[=+\-@\t\r＝＋－＠]"
           r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CSV_CHUNK_ROWS = 20_000
"""Rows per piece of a streamed CSV export."""


def _unsafe(column: list) -> np.ndarray:
    """Positions of the text cells of ``column`` that :func:`safe_cell` changes."""
    try:  # text only: Arrow's vectorised regex
        text = pd.Series(column, dtype="string[pyarrow]")
    except (TypeError, ValueError, ArrowException):
        text = pd.Series(column, dtype=object)  # mixed: text and numbers
    try:
        hit = text.str.contains(_UNSAFE, regex=True, na=False)
    except AttributeError:  # no text at all
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(hit.to_numpy(dtype=bool))


def _header(lv: levels.Levels) -> bytes:
    """The CSV export's first bytes: the byte-order mark and the header line."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(safe_row(header_of(lv)[1]))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_pieces(frames, lv: levels.Levels = levels.NATIONAL) -> Iterator[bytes]:
    """The CSV export of ``frames`` (one ``cases_page`` frame, or an iterable of them: an
    export's chunks, :func:`dashboard.cases_data.export_chunks`), UTF-8 with a byte-order
    mark, in pieces of at most :data:`CSV_CHUNK_ROWS` rows, every text cell through
    :func:`dashboard.sheets.safe_cell`: the same bytes as ``csv.writer`` over ``safe_row``
    of :func:`rows_of` of all the rows, holding one frame's cells at a time."""
    if isinstance(frames, pd.DataFrame):
        frames = (frames,)
    yield _header(lv)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for frame in frames:
        _, _, values, text = columns_of(frame, lv)
        for column, is_text_column in zip(values, text, strict=True):
            if not is_text_column:
                continue  # times, flags and numbers are written as dates, 是 and numbers
            for j in _unsafe(column):  # neutralise only the text cells that need it
                column[j] = safe_cell(column[j])
        for start in range(0, len(frame), CSV_CHUNK_ROWS):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(zip(*(c[start:start + CSV_CHUNK_ROWS] for c in values),
                                 strict=True))
            yield buffer.getvalue().encode("utf-8")


EXPORT_CHUNK_ROWS = 50_000
"""Rows fetched from DuckDB at a time while an export is made (whole vectors of 2,048)."""
SPOOL_BYTES = 16 << 20
"""An export file up to this size is made in memory, a larger one in a temporary file."""


def blueprint(store: Store, settings: Settings | None = None, now=None) -> Blueprint:
    """The ``exports`` blueprint (``now`` is a clock, for tests; default the moment the
    analysis pages read the store at, ``callbacks.common.analysis_now``).

    An export is made in one of the server's ``export_slots`` (:mod:`dashboard.slots`,
    across workers), held until its last byte is sent or the download stops; a request that
    finds none free within ``export_wait_seconds`` is answered 503 with ``Retry-After``.
    """
    from dashboard.callbacks.common import analysis_now

    settings = settings or Settings()
    slots = Slots(folder_of(settings.store) / "slots", settings.export_slots,
                  settings.export_wait_seconds)
    bp = Blueprint("exports", __name__)

    @bp.get(EXPORT_PATH)
    def export_cases(fmt: str) -> Response:
        if fmt not in FORMATS:
            return json_error(404, f"unknown export format {fmt!r}; expected csv or xlsx")
        # the version first, then the cursor: a file is never kept under a version newer
        # than the copy it was read from (a snapshot published in between would serve it)
        version = store.version()
        con = store.cursor()
        try:
            user = access.user_scope()
            filters = Filters.from_query(request.query_string.decode("utf-8", "replace"),
                                         con=con)
            filters.scope(user)
        except access.Forbidden as exc:
            return json_error(403, str(exc))
        except ValueError as exc:
            return json_error(400, str(exc))
        if now:
            moment = now()
        else:  # the moment the analysis pages read this minute (one per store version)
            with queries.reading(version, None):
                moment = analysis_now(con)
        what = f"cases {fmt} {filters.to_query() or '?'}"
        # With several workers a finished file is kept in their shared cache, under who
        # asks, the filters, the store version and the minute read (analysis_now): the same
        # export asked again that minute is read back instead of made again.
        shared = queries.result_cache()
        key = None
        if isinstance(shared, SharedCache):
            key = pagememo.digest(("export", pagememo.who(), what, version, moment))
            kept = shared.file(key)
            if kept is not None:
                (ids, rows), handle = kept
                auth.audit("export", what, ids, filters.scope(user))  # before any byte
                return _download(Response(file_pieces(handle), mimetype=MIMETYPES[fmt]),
                                 fmt, rows)
        try:
            slot = slots.take()
        except Busy:
            response = json_error(503, "too many exports are being made right now; try "
                                       "again in a minute")
            response.headers["Retry-After"] = "30"
            return response
        held = Held(slot)
        try:
            response = _made(con, user, filters, moment, fmt, what, shared, key)
        except BaseException:
            held.release()
            raise
        if response.is_streamed:  # held until the last byte is sent or the download stops
            response.response = releasing(response.response, held)
            response.call_on_close(held.release)
        else:
            held.release()
        return response

    def _made(con, user, filters, moment, fmt, what, shared, key) -> Response:
        # The file is made whole, from DuckDB a batch at a time (a city's export at 100M
        # is millions of rows: held as one frame and its Python cells it took gigabytes
        # of a worker), into a spooled file, before anything is sent.
        lv = levels.of(con)
        made = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        try:
            write = csv_file if fmt == "csv" else xlsx_file
            try:
                returned = write(con, user, filters, moment, lv, made)
            except SheetFull as exc:
                made.close()
                return json_error(413, f"{exc.rows:,} rows do not fit in one sheet; "
                                       "export CSV")
            # Every export is audited (who, role, scope, when, what, which ids) before any
            # byte leaves; if the audit write fails, nothing is sent.
            auth.audit("export", what, returned, filters.scope(user))
        except BaseException:
            made.close()
            raise
        made.seek(0)
        pieces = file_pieces(made)
        if key is not None:
            pieces = shared.keep(key, pieces, (returned, len(returned)))
        return _download(Response(pieces, mimetype=MIMETYPES[fmt]), fmt, len(returned))

    return bp


class SheetFull(ValueError):
    """An XLSX export of more rows than a sheet holds (``rows``)."""

    def __init__(self, rows: int):
        super().__init__(f"{rows} rows do not fit in one sheet")
        self.rows = rows


def _ids(parts: list) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def csv_file(con, user: Scope, filters: Filters, moment: datetime, lv: levels.Levels,
             out) -> np.ndarray:
    """Write the CSV export of ``user``'s ``filters`` at ``moment`` into the binary file
    ``out`` and return the ids of its rows, in order. The lines are made by DuckDB
    (``cases/export_lines``, the same bytes as :func:`csv_pieces`) and copied from each
    Arrow batch's buffer: Python holds one batch, never a value per cell."""
    names, _ = header_of(lv)
    out.write(_header(lv))
    ids = []
    for batch in data.export_lines(con, user, filters, moment, EXPORT_CHUNK_ROWS,
                                   town="town" in names, village="village" in names):
        # a copy: a view of the batch's buffer would keep the whole batch, lines and all
        ids.append(batch.column("id").to_numpy().astype(np.int64, copy=True))
        out.write(queries.text_bytes(batch.column("line")))
    return _ids(ids)


def xlsx_file(con, user: Scope, filters: Filters, moment: datetime, lv: levels.Levels,
              out) -> np.ndarray:
    """Write the XLSX export (as :func:`csv_file`) into ``out`` and return its ids; raise
    :class:`SheetFull`, with nothing written, when its rows do not fit in one sheet (told
    by the first chunk: every row carries the whole set's count)."""
    chunks = data.export_chunks(con, user, filters, moment, EXPORT_CHUNK_ROWS)
    first = next(chunks)
    total = int(first["total"].iloc[0]) if len(first) else 0
    if total > XLSX_MAX_ROWS:
        chunks.close()
        raise SheetFull(total)
    ids = []

    def counted():
        for frame in itertools.chain((first,), chunks):
            ids.append(frame["id"].to_numpy(dtype=np.int64))
            yield frame

    _xlsx(counted(), lv, out)
    return _ids(ids)


def _xlsx(frames, lv: levels.Levels, out) -> None:
    """The XLSX export of ``frames`` (as :func:`csv_pieces` takes them) into the binary
    file ``out``, written in openpyxl's streaming mode one frame at a time."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("事件")
    sheet.append([xlsx_cell(sheet, v) for v in header_of(lv)[1]])
    for frame in frames:
        for row in rows_of(frame, lv)[1:]:
            sheet.append([xlsx_cell(sheet, v) for v in row])
    book.save(out)


def _download(response: Response, fmt: str, rows: int) -> Response:
    """``response`` as the attachment of an export of ``rows`` rows."""
    stamp = datetime.now().strftime("%Y%m%d%H%M")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=cases_{stamp}.{fmt}; "
        f"filename*=UTF-8''%E4%BA%8B%E4%BB%B6_{stamp}.{fmt}")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Row-Count"] = str(rows)
    return response
