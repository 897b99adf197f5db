"""Text renderings of KPI results for ``gridcmd kpi``: an aligned table, CSV and JSON.

Kept apart from the CLI's argument handling so the formats can be tested as pure
functions and reused by exports later. The table is for people (Chinese names, values in
their unit, plain digits so columns line up); CSV and JSON are for machines (keys and
the engine's raw numbers, rates as shares 0..1, missing values empty or ``null``).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence

import pandas as pd

from dashboard import formats
from dashboard.kpi.registry import Kpi, get
from dashboard.sheets import safe_cell

MISSING = formats.MISSING


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: CJK ideographs and full-width forms take two.

    ``len`` would misalign every column that holds Chinese names.
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
                 right: Sequence[bool]) -> str:
    """Plain-text table with a header rule; ``right`` marks right-aligned (numeric) columns.

    Plain text rather than box drawing so it survives intranet terminals, e-mail and
    copying into a 通报 draft.
    """
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(_pad(h, w, r) for h, w, r in zip(headers, widths, right, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_pad(c, w, r) for c, w, r in zip(row, widths, right, strict=True)))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _missing(value) -> bool:
    return formats.missing(value)


def format_value(kpi: Kpi, value) -> str:
    """A KPI value in its unit, written exactly (:func:`dashboard.formats.measure`):
    ``85.3%``, ``52.8 小时（2.2天）``, ``1,234 件``; ``–`` where missing, never 0."""
    return formats.measure(kpi.kind, kpi.unit, value)


def format_numerator(kpi: Kpi, value) -> str:
    """A numerator: summed hours for a mean, a count otherwise (no unit: the header says);
    blank for a quantile, which has none."""
    if _missing(value):
        return ""
    if kpi.kind == "mean":
        return f"{value:,.1f}"
    return formats.exact(value)


def format_denominator(value) -> str:
    """A denominator; blank for counts and stocks, which have none."""
    return "" if _missing(value) else formats.exact(value)


def kpi_table(frame: pd.DataFrame) -> str:
    """The engine's long result as a table: 期间, 指标, 数值, 分子, 分母."""
    by = "period" in frame.columns
    headers = (["期间"] if by else []) + ["指标", "代码", "数值", "分子", "分母"]
    right = ([False] if by else []) + [False, False, True, True, True]
    rows = []
    for rec in frame.to_dict("records"):
        kpi = get(rec["key"])
        rows.append(([str(rec["period"])] if by else []) + [
            kpi.name_zh, kpi.key, format_value(kpi, rec["value"]),
            format_numerator(kpi, rec["numerator"]), format_denominator(rec["denominator"]),
        ])
    return render_table(headers, rows, right)


def _raw(value):
    """A plain JSON/CSV number: NaN becomes None and whole floats become ints."""
    if _missing(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


def kpi_records(frame: pd.DataFrame) -> list[dict]:
    """One dict per row with the engine's raw numbers plus the KPI's Chinese name and unit.

    Rates stay shares (0..1) as the engine returns them, so a consumer never has to undo
    a percentage; periods are ISO dates.
    """
    out = []
    for rec in frame.to_dict("records"):
        kpi = get(rec["key"])
        row = {"period": str(rec["period"])} if "period" in rec else {}
        row.update(key=kpi.key, name_zh=kpi.name_zh, unit=kpi.unit, value=_raw(rec["value"]),
                   numerator=_raw(rec["numerator"]), denominator=_raw(rec["denominator"]))
        out.append(row)
    return out


def to_json(records: list[dict]) -> str:
    """A JSON array, Chinese kept readable (``ensure_ascii=False``); NaN never appears."""
    return json.dumps(records, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def to_csv(records: list[dict], columns: Sequence[str]) -> str:
    """CSV with a header row; missing values are empty cells, floats at full precision."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: ("" if rec.get(k) is None else safe_cell(rec[k])) for k in columns})
    return buf.getvalue()


def kpi_csv(frame: pd.DataFrame) -> str:
    """The engine's long result as CSV (see :func:`kpi_records` for the columns)."""
    columns = (["period"] if "period" in frame.columns else []) + [
        "key", "name_zh", "unit", "value", "numerator", "denominator"]
    return to_csv(kpi_records(frame), columns)


def registry_records(kpis: Sequence[Kpi]) -> list[dict]:
    """The registry as records for ``gridcmd kpi --list``."""
    return [{"key": k.key, "name_zh": k.name_zh, "name_en": k.name_en, "unit": k.unit,
             "kind": k.kind, "better": k.better, "formula": k.formula,
             "definition": k.definition} for k in kpis]


def registry_table(kpis: Sequence[Kpi]) -> str:
    """The registry as a table: key, 中文名, unit, definition."""
    rows = [[k.key, k.name_zh, k.unit, k.definition] for k in kpis]
    return render_table(["key", "中文名", "单位", "定义"], rows, [False, False, False, False])
