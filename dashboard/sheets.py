"""Cells of every spreadsheet-like export (CSV and XLSX), made safe to open.

Stored text comes from upstream systems and citizens (a case number, an address): a value
such as ``=HYPERLINK("http://evil.example","x")`` or ``=cmd|' /C calc'!A0`` would be run
by Excel or LibreOffice as a formula when the export is opened (CSV/formula injection,
OWASP). Every export writes its cells through :func:`safe_cell`:

- a text value whose first character, after any leading whitespace, is one of
  ``= + - @`` (or the full-width ``＝ ＋ － ＠``), a TAB or a CR gets a leading apostrophe, so
  spreadsheets show it as text (OWASP "CSV Injection");
- characters that XLSX cannot hold (C0 controls but TAB, LF and CR; openpyxl raises
  ``IllegalCharacterError`` on them) become U+FFFD, so a stored control character can
  never make an export fail;
- numbers, booleans, dates and ``None`` pass unchanged (they stay numbers in the sheet).

:func:`xlsx_cell` additionally writes text as a string cell, never as a formula, whatever
it starts with (openpyxl turns a string starting with ``=`` into a formula otherwise).
"""

from __future__ import annotations

import re

# What openpyxl refuses in a cell (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE), plus DEL:
# control characters other than TAB, LF and CR.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")


def safe_text(text: str) -> str:
    """``text`` made safe for a spreadsheet cell (see the module docstring)."""
    text = _ILLEGAL.sub("\ufffd", text)
    stripped = text.lstrip(" \u3000\n")
    if text[:1] in _TRIGGERS or stripped[:1] in _TRIGGERS:
        return "'" + text
    return text


def safe_cell(value):
    """A cell value for a CSV or XLSX export: text neutralised, anything else unchanged."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def safe_row(values) -> list:
    """:func:`safe_cell` of every value of a row."""
    return [safe_cell(v) for v in values]


def xlsx_cell(sheet, value):
    """A write-only openpyxl cell of ``value`` (via :func:`safe_cell`); text is always a
    string cell, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def set_cell(ws, row: int, column: int, value):
    """``ws.cell(row, column)`` set to ``value`` (via :func:`safe_cell`) as a normal
    worksheet does it, text always a string cell; returns the cell."""
    cell = ws.cell(row=row, column=column)
    cell.value = safe_cell(value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
