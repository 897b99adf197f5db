"""The 通报 as an Excel workbook: one sheet per section, numbers kept as numbers.

Cells hold the report's values (rates as shares with a ``%`` format, so Excel can still
sum and chart them); only rate *changes* are stored in 百分点 (×100), because a ``%``
format would print a 2.3-point change as "2.3%", which a reader takes for a relative change.
Every table sheet has its header in row 1 (filters and machine reading work), notes below.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from dashboard.kpi.cli_format import display_width
from dashboard.report.data import Report
from dashboard.report.files import atomic_path
from dashboard.report.text import asof_lines, verdict
from dashboard.sheets import set_cell
from dashboard.taxonomy import tier_names

SHEETS = ("概览", "趋势", "类别", "区域排名", "部门排名", "超期清单")
PCT = "0.0%"
PCT_SIGNED = "+0.0%;-0.0%;0.0%"
POINTS = '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'
INT = "#,##0"
INT_SIGNED = "+#,##0;-#,##0;0"
DEC = "#,##0.0"
DEC_SIGNED = "+#,##0.0;-#,##0.0;0.0"
DATETIME = "yyyy-mm-dd hh:mm"
HEADLINE_HEADERS = ("指标", "单位", "本月", "上月", "环比增减", "环比增幅", "环比",
                    "去年同月", "同比增减", "同比增幅", "同比")
TREND_HEADERS = ("月份", "上报数", "结案率", "满意率", "平均处置时长(小时)")
CATEGORY_HEADERS = ("排名", "类别代码", "领域", "大类", "小类", "上报数", "占比", "上月上报数",
                    "环比增减")
REGION_HEADERS = ("排名", "代码", "名称", "等级", "综合得分", "样本量(结案数,件)", "按期结案率",
                  "结案率", "满意率", "返工率", "平均处置时长(小时)", "参与排名")
DEPARTMENT_HEADERS = ("排名", "部门代码", "部门名称", "层级", "等级", "结案数", "按期结案数",
                      "逾期结案数", "月末超期未结", "按期结案率", "95%区间下限", "95%区间上限",
                      "收缩后按期结案率", "参与排名", "综合得分")
OVERDUE_HEADERS = ("序号", "案件编号", "类型", "类别", "网格", "村(社区)", "处置部门",
                   "上报时间", "处置时限", "结案时间", "超期天数")
TIER_ZH = {tier: f"{name.split('(')[0] if tier == 'town' else name}级"
           for tier, name in tier_names().items()}
"""Department tiers as a 通报 names them (村(社区)级, 乡镇级, 区县级, 市级)."""

_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1F4E79")
_TITLE_FONT = Font(bold=True, size=16)
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_GOOD = Font(color="006100")
_BAD = Font(color="9C0006")


def _header(ws, row: int, headers) -> None:
    for col, text in enumerate(headers, start=1):
        cell = set_cell(ws, row, col, text)
        cell.font, cell.fill, cell.border = _HEAD_FONT, _HEAD_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _row(ws, row: int, values, formats=None) -> None:
    for col, value in enumerate(values, start=1):
        cell = set_cell(ws, row, col, value)
        cell.border = _BORDER
        if formats and formats[col - 1]:
            cell.number_format = formats[col - 1]


def _widths(ws, first_row: int = 1, minimum: int = 6, maximum: int = 40) -> None:
    """Fit columns to their longest text (CJK counts double); numbers get a fixed width.

    Called before the notes are written, so a long note does not widen column A.
    """
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None:
                continue
            text = cell.value if isinstance(cell.value, str) else "0000-00-00 00:00"
            if not isinstance(cell.value, str) and isinstance(cell.value, int | float):
                text = "-000,000.0%"
            widths[cell.column] = max(widths.get(cell.column, 0), display_width(text))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(minimum,
                                                                 min(maximum, width + 2))


def _notes(ws, row: int, lines) -> None:
    for i, line in enumerate(lines):
        set_cell(ws, row + i, 1, line).font = Font(italic=True, color="595959")


def _overview(wb, report: Report) -> None:
    ws = wb.active
    ws.title = "概览"
    set_cell(ws, 1, 1, report.title)
    ws["A1"].font = _TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADLINE_HEADERS))
    set_cell(ws, 2, 1, f"统计期：{report.period_zh}")
    set_cell(ws, 3, 1, f"地区：{report.region_name}（{report.region_codes}）")
    asof = asof_lines(report)
    if asof:
        set_cell(ws, 4, 1, asof[0])
    say = report.words.say
    _header(ws, 5, [say(h) for h in HEADLINE_HEADERS])
    for i, h in enumerate(report.headline):
        rate = h.kind == "rate"
        fmt = PCT if rate else (INT if h.kind in ("count", "stock") else DEC)
        change_fmt = POINTS if rate else (INT_SIGNED if fmt == INT else DEC_SIGNED)
        values = [h.name, h.unit, h.value, h.mom_value,
                  _points(h.mom_change) if rate else h.mom_change,
                  None if rate else h.mom_change_rel, verdict(h.mom_change, h.mom_improved),
                  h.yoy_value, _points(h.yoy_change) if rate else h.yoy_change,
                  None if rate else h.yoy_change_rel, verdict(h.yoy_change, h.yoy_improved)]
        _row(ws, 6 + i, values, [None, None, fmt, fmt, change_fmt, PCT_SIGNED, None, fmt,
                                 change_fmt, PCT_SIGNED, None])
        for col in (7, 11):
            cell = ws.cell(row=6 + i, column=col)
            cell.font = _GOOD if cell.value == "向好" else _BAD if cell.value == "退步" else Font()
    _widths(ws, first_row=5)
    after = 6 + len(report.headline) + 1
    _notes(ws, after, [say("说明：比率的增减以百分点计，数量与时长的增幅为相对上月（去年同月）的"
                           "百分比。"), *report.notes, *asof[1:]])
    ws.column_dimensions["A"].width = 18
    ws.freeze_panes = "B6"


def _points(change):
    return None if change is None else change * 100.0


def _trend(wb, report: Report) -> None:
    ws = wb.create_sheet("趋势")
    say = report.words.say
    _header(ws, 1, [say(h) for h in TREND_HEADERS])
    for i, (p, label) in enumerate(zip(report.trend, report.trend_label, strict=True)):
        _row(ws, 2 + i, [label, p.reported, p.close_rate, p.satisfaction_rate,
                         p.avg_handle_hours], [None, INT, PCT, PCT, DEC])
    n = len(report.trend)
    cats = Reference(ws, min_col=1, min_row=2, max_row=1 + n)
    specs = [("上报数", "件", (2,), INT, "H2"), ("结案率与满意率", "%", (3, 4), "0%", "H18"),
             ("平均处置时长", "小时", (5,), "0.0", "H34")]
    for title, unit, cols, fmt, anchor in specs:
        chart = LineChart()
        # a series without any value draws nothing: the title says so
        empty = [TREND_HEADERS[c - 1] for c in cols
                 if all(ws.cell(row=2 + i, column=c).value is None for i in range(n))]
        chart.title = (say(f"{title}（近{n}个月）")
                       + (f"：{'、'.join(empty)}无数据" if empty else ""))
        chart.y_axis.title = unit
        chart.y_axis.number_format = fmt
        chart.x_axis.title = say("月份")
        chart.height, chart.width = 7.5, 16
        for col in cols:
            chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=1 + n),
                           titles_from_data=True)
        for series in chart.series:
            series.marker.symbol = "circle"  # one month (a store's first) is a point
            series.marker.size = 5
        chart.set_categories(cats)
        ws.add_chart(chart, anchor)
    _widths(ws)
    ws.freeze_panes = "A2"


def _categories(wb, report: Report) -> None:
    ws = wb.create_sheet("类别")
    say = report.words.say
    _header(ws, 1, [say(h) for h in CATEGORY_HEADERS])
    for i, c in enumerate(report.categories):
        _row(ws, 2 + i, [c.rank, c.code, c.domain, c.major_name, c.minor_name, c.reported,
                         c.share, c.prev_reported, c.reported - c.prev_reported],
             [None, None, None, None, None, INT, PCT, INT, INT_SIGNED])
    _widths(ws)
    after = 2 + len(report.categories) + 1
    _notes(ws, after, [say(f"本月上报总数 {report.categories_total:,} 件（含作废），列出上报数前 "
                           f"{len(report.categories)} 的类别；占比为占本月上报总数。")])
    ws.freeze_panes = "A2"


def _regions(wb, report: Report) -> None:
    ws = wb.create_sheet("区域排名")
    _header(ws, 1, REGION_HEADERS)
    for i, r in enumerate(report.subregions):
        _row(ws, 2 + i, [r.rank, r.code, r.name, r.grade, r.score, r.volume, r.ontime_rate,
                         r.close_rate, r.satisfaction_rate, r.rework_rate, r.avg_handle_hours,
                         "是" if r.ranked else "样本不足"],
             [None, None, None, None, DEC, INT, PCT, PCT, PCT, PCT, DEC, None])
    level = report.subregion_label
    _widths(ws)
    after = 2 + len(report.subregions) + 1
    _notes(ws, after, [f"下级层级：{level}" if level else "无下级层级", report.subregion_note])
    ws.freeze_panes = "A2"


def _departments(wb, report: Report) -> None:
    ws = wb.create_sheet("部门排名")
    _header(ws, 1, [report.words.say(h) for h in DEPARTMENT_HEADERS])
    for i, d in enumerate(report.departments):
        _row(ws, 2 + i, [d.rank, d.code, d.name, TIER_ZH.get(d.tier, d.tier), d.grade,
                         d.closed, d.closed_ontime, d.closed_late, d.overdue_open,
                         d.ontime_rate, d.ontime_lo, d.ontime_hi, d.ontime_shrunk,
                         "是" if d.ranked else "样本不足", d.score],
             [None, None, None, None, None, INT, INT, INT, INT, PCT, PCT, PCT, PCT, None,
              DEC])
    _widths(ws)
    after = 2 + len(report.departments) + 1
    _notes(ws, after, [report.notes[1] if len(report.notes) > 1 else ""])
    ws.freeze_panes = "A2"


def _overdue(wb, report: Report) -> None:
    ws = wb.create_sheet("超期清单")
    _header(ws, 1, OVERDUE_HEADERS)
    for i, o in enumerate(report.overdue):
        _row(ws, 2 + i, [i + 1, o.case_no, o.kind, o.category, o.grid, o.village, o.department,
                         o.reported_at, o.deadline_at, o.closed_at, round(o.days_overdue, 1)],
             [None] * 7 + [DATETIME, DATETIME, DATETIME, DEC])
    _widths(ws)
    after = 2 + len(report.overdue) + 1
    _notes(ws, after, [report.words.say(
        f"共 {report.overdue_total:,} 件：月末超期未结 {report.overdue_open_total:,} 件，"
        f"本月逾期结案 {report.overdue_late_total:,} 件；列出超期天数最多的 "
        f"{len(report.overdue):,} 件。超期未结按月末计算超期天数。")])
    ws.freeze_panes = "C2"


def write_xlsx(report: Report, path: str | os.PathLike) -> Path:
    """Write the report as an xlsx workbook (sheets ``SHEETS``), atomically.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    wb = Workbook()
    _overview(wb, report)
    _trend(wb, report)
    _categories(wb, report)
    _regions(wb, report)
    _departments(wb, report)
    _overdue(wb, report)
    wb.properties.title = f"{report.title} {report.period}"
    wb.properties.creator = "GridCommand 网格指挥舱"
    out = Path(path)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out
