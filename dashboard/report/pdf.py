"""The 通报 as an A4 PDF for printing and filing.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1): nothing to
download or vendor on an offline intranet, and the file stays small because the font is
referenced, not embedded; every PDF reader with Asian font support renders it. The trend is
drawn with ``reportlab.graphics`` line charts (vector, no plotting library, no browser).
"""

from __future__ import annotations

import os
from pathlib import Path

from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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

FONT = "STSong-Light"
PDF_OVERDUE_ROWS = 50
PDF_RANK_ROWS = 30
PDF_DEPARTMENT_ROWS = 30
HEAD_BG = colors.HexColor("#1F4E79")
STRIPE = colors.HexColor("#F2F5F9")
GOOD, BAD = colors.HexColor("#006100"), colors.HexColor("#9C0006")
SERIES_COLORS = (colors.HexColor("#1F77B4"), colors.HexColor("#D62728"))


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26,
                                alignment=TA_CENTER),
        "sub": ParagraphStyle("sub", parent=base, fontSize=10, leading=14, alignment=TA_CENTER,
                              textColor=colors.HexColor("#404040")),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=18, spaceBefore=8,
                             spaceAfter=4, textColor=HEAD_BG, keepWithNext=1),
        "body": base,
        "h3": ParagraphStyle("h3", parent=base, fontSize=10, leading=15, spaceBefore=14,
                             textColor=HEAD_BG),
        "note": ParagraphStyle("note", parent=base, fontSize=7.5, leading=10.5,
                               textColor=colors.HexColor("#595959")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
    }


def _table(rows, widths, font: str, right_from: int = 1, colour: dict | None = None) -> Table:
    """A striped table with a dark header row; numeric columns (from ``right_from``) right."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), font, 7.5),
        ("FONTSIZE", (0, 0), (-1, 0), 8),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (right_from, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BFBFBF")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), STRIPE) for r in range(2, len(rows), 2)]
    for (col, row), colour_value in (colour or {}).items():
        style.append(("TEXTCOLOR", (col, row), (col, row), colour_value))
    table.setStyle(TableStyle(style))
    return table


def _chart(title: str, labels, series, font: str, percent: bool, width=85 * mm,
           height=52 * mm) -> Drawing:
    """One small line chart; None values become gaps, not zeros.

    Every point carries a marker, so a month between gaps, or a trend of one month (a
    store's first), still shows. A series without any value is left out and named
    "（无数据）" in the legend; a chart with no value at all says 无数据 (reportlab cannot
    draw a line through no points).
    """
    drawing = Drawing(width, height)
    drawing.add(String(width / 2, height - 10, title, fontName=font, fontSize=8.5,
                       textAnchor="middle"))
    data = [[None if v is None else (v * 100 if percent else v) for v in values]
            for _, values in series]
    drawn = [i for i, values in enumerate(data) if any(v is not None for v in values)]
    if not drawn or not labels:
        drawing.add(String(width / 2, height / 2 - 4, "无数据", fontName=font, fontSize=10,
                           textAnchor="middle", fillColor=colors.HexColor("#808080")))
        return drawing
    chart = HorizontalLineChart()
    chart.x, chart.y = 30, 14
    chart.width, chart.height = width - 40, height - 40
    chart.data = [data[i] for i in drawn]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 0
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6
    present = [v for values in chart.data for v in values if v is not None]
    if present:
        low, high = min(present), max(present)
        pad = (high - low) * 0.15 or max(abs(high) * 0.1, 1.0)
        chart.valueAxis.valueMin = max(0.0, low - pad) if not percent else max(0.0, low - pad)
        chart.valueAxis.valueMax = min(100.0, high + pad) if percent else high + pad
    chart.valueAxis.labelTextFormat = "%.0f%%" if percent else "%.0f"
    for line, i in enumerate(drawn):
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        chart.lines[line].strokeColor = color
        chart.lines[line].strokeWidth = 1.5
        chart.lines[line].symbol = makeMarker("FilledCircle", size=3, fillColor=color,
                                              strokeColor=color)
    chart.joinedLines = 1
    drawing.add(chart)
    for i, (name, _) in enumerate(series if len(series) > 1 else []):
        label = f"— {name}" if i in drawn else f"{name}（无数据）"
        drawing.add(String(width - 12 - i * 60, height - 21, label, fontName=font,
                           fontSize=6.5, textAnchor="end",
                           fillColor=SERIES_COLORS[i % len(SERIES_COLORS)]))
    return drawing


def _days(days: float) -> str:
    """Days overdue with one decimal; a few hours late must not read as 0.0 days."""
    return "<0.1" if days < 0.05 else f"{days:.1f}"


def _headline(report: Report, font: str) -> Table:
    rows = [[report.words.say(x) for x in ("指标", "本月", "上月", "环比", "", "去年同月", "同比",
                                           "")]]
    colour = {}
    for i, h in enumerate(report.headline, start=1):
        mom, yoy = verdict(h.mom_change, h.mom_improved), verdict(h.yoy_change, h.yoy_improved)
        rows.append([h.name, value_text(h.kind, h.unit, h.value),
                     value_text(h.kind, h.unit, h.mom_value),
                     change_text(h.kind, h.mom_change, h.mom_change_rel), mom,
                     value_text(h.kind, h.unit, h.yoy_value),
                     change_text(h.kind, h.yoy_change, h.yoy_change_rel), yoy])
        for col, word in ((4, mom), (7, yoy)):
            if word in ("向好", "退步"):
                colour[(col, i)] = GOOD if word == "向好" else BAD
    table = _table(rows, [30 * mm, 26 * mm, 26 * mm, 22 * mm, 10 * mm, 26 * mm, 22 * mm,
                          10 * mm], font, colour=colour)
    table.setStyle(TableStyle([("SPAN", (3, 0), (4, 0)), ("SPAN", (6, 0), (7, 0)),
                               ("ALIGN", (4, 1), (4, -1), "CENTER"),
                               ("ALIGN", (7, 1), (7, -1), "CENTER")]))
    return table


def _points(report: Report, styles) -> list[Paragraph]:
    """本月要点: the headline in sentences, for readers who skip tables."""
    h = {x.key: x for x in report.headline}

    def line(key: str) -> str:
        x = h[key]
        text = f"{x.name} {value_text(x.kind, x.unit, x.value)}"
        if x.mom_change is not None:
            text += f"，环比 {change_text(x.kind, x.mom_change, x.mom_change_rel)}"
        return text

    keys = ["reported", "closed", "ontime_rate", "deadline_share", "avg_close_hours",
            "median_close_hours", "satisfaction_rate", "area_satisfaction_rate", "overdue"]
    out = [Paragraph(report.words.say("本月要点"), styles["h3"])]
    out += [Paragraph(f"◆ {line(k)}", styles["body"]) for k in keys if k in h]
    if report.categories:
        top = report.categories[0]
        out.append(Paragraph(f"◆ 上报最多：{top.minor_name}（{top.reported:,} 件，"
                             f"占 {rate_text(top.share)}）", styles["body"]))
    return out


def _trend(report: Report, font: str, styles) -> Table:
    labels = ([f"{p.start.month}月" for p in report.trend] if report.period_kind == "month"
              else [f"{p.start.month}/{p.start.day}" for p in report.trend])
    if report.partial and labels:
        labels[-1] += "*"  # the report's period is covered in part (see the notes)
    span = (f"{report.trend_label[0].rstrip('*')} 至 {report.trend_label[-1].rstrip('*')}"
            if report.trend else "")
    charts = [
        _chart(f"上报数（件）{span}", labels,
               [("上报数", [p.reported for p in report.trend])], font, percent=False),
        _chart(f"结案率与满意率（%）{span}", labels,
               [("结案率", [p.close_rate for p in report.trend]),
                ("满意率", [p.satisfaction_rate for p in report.trend])], font, percent=True),
        _chart(f"平均处置时长（小时）{span}", labels,
               [("平均处置时长", [p.avg_handle_hours for p in report.trend])], font,
               percent=False),
    ]
    rows = [[charts[0], charts[1]], [charts[2], _points(report, styles)]]
    grid = Table(rows, colWidths=[90 * mm, 90 * mm])
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return grid


def write_pdf(report: Report, path: str | os.PathLike) -> Path:
    """Write the report as an A4 PDF, atomically.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    font = _font()
    st = _styles(font)
    say = report.words.say
    story = [
        Paragraph(report.title, st["title"]),
        Paragraph(f"统计期：{report.period_zh}　地区代码：{report.region_codes}", st["sub"]),
        *[Paragraph(line, st["note"]) for line in asof_lines(report)],
        Spacer(1, 4 * mm),
        Paragraph("一、主要指标", st["h2"]),
        _headline(report, font),
        Paragraph(say("比率的增减以百分点计；数量与时长为相对上月（去年同月）的增幅。")
                  + "".join(report.notes[:1]), st["note"]),
        Paragraph(say(f"二、近{len(report.trend)}个月趋势"), st["h2"]),
        _trend(report, font, st),
        Paragraph("三、上报数前十的类别", st["h2"]),
    ]
    cat_rows = [[say(x) for x in ("排名", "大类", "小类", "上报数", "占比", "上月", "环比增减")]]
    cat_rows += [[str(c.rank), c.major_name, c.minor_name, f"{c.reported:,}",
                  rate_text(c.share), f"{c.prev_reported:,}",
                  f"{c.reported - c.prev_reported:+,}"] for c in report.categories]
    story += [_table(cat_rows, [12 * mm, 32 * mm, 40 * mm, 20 * mm, 18 * mm, 18 * mm, 20 * mm],
                     font, right_from=3),
              Paragraph(say(f"本月上报总数 {report.categories_total:,} 件（含作废）。"),
                        st["note"])]

    level = report.subregion_label
    story.append(Paragraph(f"四、{level}排名" if level else "四、下级区域排名", st["h2"]))
    if report.subregions:
        rows = [["排名", "名称", "等级", "综合得分", "按期结案率", "结案率", "满意率", "返工率",
                 "处置时长(时)"]]
        for r in report.subregions[:PDF_RANK_ROWS]:
            rows.append([str(r.rank) if r.ranked else MISSING, Paragraph(r.name, st["cell"]),
                         r.grade or MISSING, hours_text(r.score) if r.ranked else "样本不足",
                         rate_text(r.ontime_rate), rate_text(r.close_rate),
                         rate_text(r.satisfaction_rate), rate_text(r.rework_rate),
                         hours_text(r.avg_handle_hours)])
        story.append(_table(rows, [11 * mm, 45 * mm, 11 * mm, 17 * mm, 19 * mm, 17 * mm,
                                   17 * mm, 17 * mm, 20 * mm], font, right_from=3))
        more = len(report.subregions) - PDF_RANK_ROWS
        extra = f"另有 {more} 个未列出，见 xlsx。" if more > 0 else ""
        story.append(Paragraph(report.subregion_note + extra, st["note"]))
    else:
        story.append(Paragraph(report.subregion_note or say("本月无下级区域数据。"), st["body"]))

    story.append(Paragraph("五、部门排名（综合得分）", st["h2"]))
    if report.departments:
        rows = [[say(x) for x in ("排名", "部门", "等级", "结案数", "按期结案", "逾期结案",
                                  "月末超期未结", "按期结案率", "95%区间", "综合得分")]]
        for d in report.departments[:PDF_DEPARTMENT_ROWS]:
            interval = (MISSING if d.ontime_lo is None
                        else f"{d.ontime_lo * 100:.0f}–{d.ontime_hi * 100:.0f}%")
            rows.append([str(d.rank) if d.ranked else MISSING, Paragraph(d.name, st["cell"]),
                         d.grade or MISSING, f"{d.closed:,}", f"{d.closed_ontime:,}",
                         f"{d.closed_late:,}", f"{d.overdue_open:,}", rate_text(d.ontime_rate),
                         interval, MISSING if d.score is None else f"{d.score:.1f}"])
        story.append(_table(rows, [9 * mm, 51 * mm, 9 * mm, 13 * mm, 14 * mm, 14 * mm,
                                   17 * mm, 16 * mm, 17 * mm, 14 * mm], font,
                            right_from=3))
        ranked = sum(d.ranked for d in report.departments)
        story.append(Paragraph(
            f"共 {len(report.departments):,} 个部门，{ranked:,} 个达到最小样本量参与排名；"
            f"本表列出前 {min(PDF_DEPARTMENT_ROWS, len(report.departments))} 个。"
            + (report.notes[1] if len(report.notes) > 1 else ""), st["note"]))
    else:
        story.append(Paragraph(say("本月无部门结案或超期案件。"), st["body"]))

    story.append(Paragraph("六、超期案件清单", st["h2"]))
    story.append(Paragraph(say(
        f"共 {report.overdue_total:,} 件：月末超期未结 {report.overdue_open_total:,} 件，"
        f"本月逾期结案 {report.overdue_late_total:,} 件。"
        f"下表列出超期天数最多的 {min(PDF_OVERDUE_ROWS, len(report.overdue))} 件"
        "（完整清单见 xlsx）。"), st["body"]))
    if report.overdue:
        rows = [["序号", "案件编号", "类型", "类别", "网格", "处置部门", "处置时限", "超期天数"]]
        for i, o in enumerate(report.overdue[:PDF_OVERDUE_ROWS], start=1):
            rows.append([str(i), o.case_no, o.kind, Paragraph(o.category, st["cell"]),
                         Paragraph(o.grid, st["cell"]), Paragraph(o.department, st["cell"]),
                         f"{o.deadline_at:%Y-%m-%d %H:%M}", _days(o.days_overdue)])
        story.append(_table(rows, [9 * mm, 31 * mm, 15 * mm, 30 * mm, 29 * mm, 32 * mm,
                                   22 * mm, 13 * mm], font, right_from=7))
    for line in report.notes[2:]:
        story.append(Paragraph(line, st["note"]))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#808080"))
        canvas.drawString(15 * mm, 10 * mm, f"{report.title}　{report.period}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    out = Path(path)
    with atomic_path(out) as tmp:
        doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=15 * mm,
                                rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=18 * mm,
                                title=f"{report.title} {report.period}",
                                author="GridCommand 网格指挥舱")
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out
