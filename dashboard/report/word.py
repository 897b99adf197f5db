"""The 通报 as a Word document (docx): the format offices forward and edit.

The same sections as the PDF (:mod:`dashboard.report.pdf`), from the same :class:`Report`, so
the numbers cannot differ: title, period, headline KPIs with 环比/同比, the KPIs'
definitions, the trend as a table, top categories, sub-region and department rankings, the
overdue list, the as-of line and the records that arrived after it, and the notes.

Chinese fonts: Word picks the font of CJK characters from the run's East Asian font
attribute (``w:rFonts/@w:eastAsia``), not from ``font.name``; python-docx sets only the
latter, so every style used here gets both (宋体 for text, 黑体 for the title and headings,
Times New Roman for Latin letters and digits). Nothing is embedded: the fonts are the
ones every Chinese Windows/WPS installation has, and another reader substitutes its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from dashboard.kpi.registry import get
from dashboard.report.data import Report
from dashboard.report.files import atomic_path
from dashboard.report.text import (
    MISSING,
    asof_lines,
    change_text,
    hours_text,
    rate_text,
    value_text,
    verdict,
)

BODY_FONT = "宋体"
HEAD_FONT = "黑体"
LATIN_FONT = "Times New Roman"
OVERDUE_ROWS = 50
RANK_ROWS = 30
DEPARTMENT_ROWS = 30
"""The PDF's limits (:mod:`dashboard.report.pdf`): the Word file shows what the PDF shows;
the complete lists are in the xlsx."""

HEADLINE_HEADERS = ("指标", "本月", "上月", "环比", "环比评价", "去年同月", "同比", "同比评价")
DEFINITION_HEADERS = ("指标", "单位", "计算方法")
TREND_HEADERS = ("月份", "上报数", "结案率", "满意率", "平均处置时长(小时)")
CATEGORY_HEADERS = ("排名", "大类", "小类", "上报数", "占比", "上月", "环比增减")
REGION_HEADERS = ("排名", "名称", "等级", "综合得分", "按期结案率", "结案率", "满意率",
                  "返工率", "处置时长(时)")
DEPARTMENT_HEADERS = ("排名", "部门", "等级", "结案数", "按期结案", "逾期结案", "月末超期未结",
                      "按期结案率", "95%区间", "综合得分")
OVERDUE_HEADERS = ("序号", "案件编号", "类型", "类别", "网格", "处置部门", "处置时限",
                   "超期天数")
UNIT_ZH = {"count": "件", "rate": "%", "hours": "小时", "share": "%"}


def set_fonts(target, east_asian: str, latin: str = LATIN_FONT) -> None:
    """Set a style's or run's fonts: ``font.name`` for Latin text and the East Asian font
    attribute for CJK text (python-docx has no property for the latter)."""
    target.font.name = latin
    element = target.element if hasattr(target, "element") else target._element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asian)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    set_fonts(normal, BODY_FONT)
    normal.font.size = Pt(10.5)  # 五号
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 12)):
        style = doc.styles[name]
        set_fonts(style, HEAD_FONT)
        style.font.size = Pt(size)
        style.font.bold = False  # 黑体 is heavy already; bold would smear it
        style.font.color.rgb = RGBColor(0x1F, 0x4E, 0x79) if name != "Title" \
            else RGBColor(0, 0, 0)
    table = doc.styles["Table Grid"]
    set_fonts(table, BODY_FONT)
    table.font.size = Pt(8)


def _para(doc, text: str, *, size: float | None = None, center: bool = False,
          grey: bool = False):
    p = doc.add_paragraph()
    run = p.add_run(text)
    set_fonts(run, BODY_FONT)
    if size:
        run.font.size = Pt(size)
    if grey:
        run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


def _table(doc, headers, rows, right_from: int = 1):
    """A grid table with a bold header row; columns from ``right_from`` right-aligned."""
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, values in enumerate([headers, *rows]):
        cells = table.rows[r].cells
        for c, value in enumerate(values):
            cell = cells[c]
            run = cell.paragraphs[0].add_run(str(value))
            set_fonts(run, HEAD_FONT if r == 0 else BODY_FONT)
            run.font.size = Pt(8)
            if r == 0:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif c >= right_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return table


def _days(days: float) -> str:
    return "<0.1" if days < 0.05 else f"{days:.1f}"


def headline_rows(report: Report) -> list[tuple[str, ...]]:
    """The headline table's body, as the PDF prints it."""
    return [(h.name, value_text(h.kind, h.unit, h.value), value_text(h.kind, h.unit, h.mom_value),
             change_text(h.kind, h.mom_change, h.mom_change_rel),
             verdict(h.mom_change, h.mom_improved), value_text(h.kind, h.unit, h.yoy_value),
             change_text(h.kind, h.yoy_change, h.yoy_change_rel),
             verdict(h.yoy_change, h.yoy_improved)) for h in report.headline]


def write_docx(report: Report, path: str | os.PathLike) -> Path:
    """Write the report as an A4 Word document, atomically.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(15))
    section.top_margin, section.bottom_margin = Mm(15), Mm(18)
    _styles(doc)
    doc.core_properties.title = f"{report.title} {report.period}"
    say = report.words.say

    def heads(headers):
        return [say(h) for h in headers]

    doc.core_properties.author = "GridCommand 网格指挥舱"

    title = doc.add_paragraph(report.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, f"统计期：{report.period_zh}　地区代码：{report.region_codes}", center=True)
    for line in asof_lines(report):
        _para(doc, line, size=9, center=True, grey=True)

    doc.add_heading("一、主要指标", level=1)
    _table(doc, heads(HEADLINE_HEADERS), headline_rows(report))
    _para(doc, say("比率的增减以百分点计；数量与时长为相对上月（去年同月）的增幅。")
          + "".join(report.notes[:1]), size=8, grey=True)
    doc.add_heading("指标定义", level=2)
    _table(doc, DEFINITION_HEADERS,
           [(h.name, UNIT_ZH.get(h.unit, h.unit), get(h.key).formula) for h in report.headline],
           right_from=99)

    doc.add_heading(say(f"二、近{len(report.trend)}个月趋势"), level=1)
    _table(doc, heads(TREND_HEADERS),
           [(label, f"{p.reported:,.0f}", rate_text(p.close_rate),
             rate_text(p.satisfaction_rate), hours_text(p.avg_handle_hours))
            for p, label in zip(report.trend, report.trend_label, strict=True)])

    doc.add_heading("三、上报数前十的类别", level=1)
    _table(doc, heads(CATEGORY_HEADERS),
           [(str(c.rank), c.major_name, c.minor_name, f"{c.reported:,}", rate_text(c.share),
             f"{c.prev_reported:,}", f"{c.reported - c.prev_reported:+,}")
            for c in report.categories], right_from=3)
    _para(doc, say(f"本月上报总数 {report.categories_total:,} 件（含作废）。"), size=8, grey=True)

    level = report.subregion_label
    doc.add_heading(f"四、{level}排名" if level else "四、下级区域排名", level=1)
    if report.subregions:
        _table(doc, REGION_HEADERS,
               [(str(r.rank) if r.ranked else MISSING, r.name, r.grade or MISSING,
                 hours_text(r.score) if r.ranked else "样本不足", rate_text(r.ontime_rate),
                 rate_text(r.close_rate), rate_text(r.satisfaction_rate),
                 rate_text(r.rework_rate), hours_text(r.avg_handle_hours))
                for r in report.subregions[:RANK_ROWS]], right_from=3)
        more = len(report.subregions) - RANK_ROWS
        _para(doc, report.subregion_note + (f"另有 {more} 个未列出，见 xlsx。" if more > 0
                                            else ""), size=8, grey=True)
    else:
        _para(doc, report.subregion_note or say("本月无下级区域数据。"))

    doc.add_heading("五、部门排名（综合得分）", level=1)
    if report.departments:
        rows = []
        for d in report.departments[:DEPARTMENT_ROWS]:
            interval = (MISSING if d.ontime_lo is None
                        else f"{d.ontime_lo * 100:.0f}–{d.ontime_hi * 100:.0f}%")
            rows.append((str(d.rank) if d.ranked else MISSING, d.name, d.grade or MISSING,
                         f"{d.closed:,}", f"{d.closed_ontime:,}", f"{d.closed_late:,}",
                         f"{d.overdue_open:,}", rate_text(d.ontime_rate), interval,
                         MISSING if d.score is None else f"{d.score:.1f}"))
        _table(doc, heads(DEPARTMENT_HEADERS), rows, right_from=3)
        ranked = sum(d.ranked for d in report.departments)
        _para(doc, f"共 {len(report.departments):,} 个部门，{ranked:,} 个达到最小样本量参与排名；"
              f"本表列出前 {min(DEPARTMENT_ROWS, len(report.departments))} 个。"
              + (report.notes[1] if len(report.notes) > 1 else ""), size=8, grey=True)
    else:
        _para(doc, say("本月无部门结案或超期案件。"))

    doc.add_heading("六、超期案件清单", level=1)
    _para(doc, say(f"共 {report.overdue_total:,} 件：月末超期未结 "
                   f"{report.overdue_open_total:,} 件，本月逾期结案 "
                   f"{report.overdue_late_total:,} 件。"
                   f"下表列出超期天数最多的 {min(OVERDUE_ROWS, len(report.overdue))} 件"
                   "（完整清单见 xlsx）。"))
    if report.overdue:
        _table(doc, OVERDUE_HEADERS,
               [(str(i), o.case_no, o.kind, o.category, o.grid, o.department,
                 f"{o.deadline_at:%Y-%m-%d %H:%M}", _days(o.days_overdue))
                for i, o in enumerate(report.overdue[:OVERDUE_ROWS], start=1)], right_from=7)
    for line in report.notes[2:]:
        _para(doc, line, size=8, grey=True)

    footer = section.footer.paragraphs[0]
    run = footer.add_run(f"{report.title}　{report.period}")
    set_fonts(run, BODY_FONT)
    run.font.size = Pt(7.5)

    out = Path(path)
    with atomic_path(out) as tmp:
        doc.save(str(tmp))
    return out
