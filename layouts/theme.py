"""The one visual theme of the screens: colours, fonts and the plotly template.

Pages share it so the overview and the analyst pages (plotly charts, maps, cards) read as
one product on the dark wall screen.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

FONT = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
        '"Microsoft YaHei", sans-serif')
TEXT = "#dbe8f7"
MUTED = "#8aa2bf"
GRID = "rgba(72, 164, 255, 0.14)"
SERIES = ("#35d0ff", "#f2b441", "#4be3a0", "#ee5b3f", "#a98bff", "#ff8fc7")
GOOD, WATCH, BAD = "#3ddc97", "#f2b441", "#ee5b3f"
# Sequential ramp from calm to alarming, legible on the dark base.
RAMP = ("#16507e", "#1f86b8", "#35c0c9", "#f2b441", "#ee5b3f")
NO_DATA = "#2a3444"

TEMPLATE = "gridcmd"

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT, "color": TEXT, "size": 13},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        colorway=list(SERIES),
        margin={"l": 44, "r": 12, "t": 8, "b": 24},
        xaxis={"gridcolor": GRID, "linecolor": GRID, "zeroline": False,
               "tickfont": {"color": MUTED}, "automargin": True},
        yaxis={"gridcolor": GRID, "linecolor": GRID, "zeroline": False,
               "tickfont": {"color": MUTED}, "automargin": True},
        hoverlabel={"bgcolor": "#0a1a32", "bordercolor": "#35d0ff",
                    "font": {"family": FONT, "color": TEXT}},
        legend={"font": {"color": MUTED}},
    )
)
LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}
"""A horizontal legend above the plot, anchored by its bottom: a legend of two lines (the
English names wrap) pushes the top margin instead of covering the first bars."""

# Every figure of the app uses it: plotly applies its default template to a new figure
# without validating it again, where `template=TEMPLATE` on each figure copied and checked
# the whole template every time (about half of an analysis bar chart's build).
pio.templates.default = TEMPLATE


# plotly.js writes date ticks with English month names ("Nov 15", "Jan 2026") unless the
# graph has a locale: the Chinese one, passed in each graph's config (no script to load)
PLOTLY_ZH = {
    "dictionary": {},
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月",
                   "十月", "十一月", "十二月"],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "periods": ["上午", "下午"],
        "dateTime": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d", "time": "%H:%M:%S",
        "decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""],
        "year": "%Y年", "month": "%Y年%-m月", "dayMonth": "%-m月%-d日",
        "dayMonthYear": "%Y年%-m月%-d日",
    },
}


def graph_config(lang: str) -> dict:
    """A chart's plotly config: no mode bar, resizing with its card, and the page's
    language for dates (``zh``: 11月15日, 2026年1月)."""
    config = {"displayModeBar": False, "responsive": True}
    if lang != "en":
        config |= {"locale": "zh-CN", "locales": {"zh-CN": PLOTLY_ZH}}
    return config
