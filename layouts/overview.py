"""指挥总览: the big-screen command overview.

A four-tier drill-down map (city → county → town → village → grid) coloured by a chosen
indicator, with KPI cards, 12-month trends, alerts, a live feed and the sub-region league
of the region in view. Sized in ``rem`` off a root font size that follows the viewport
(``assets/gridcmd.css``), so the same layout fills 1366×768, 1920×1080 and 3840×2160.

The layout is static; callbacks fill it (``dashboard/callbacks/overview.py``). The map's
polygons come by URL, their colours through ``hideout`` and the style function in
``assets/gridcmd_map.js``. The formatters here are pure functions of plain values so the
callbacks stay thin and tests can call them directly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache

import dash_leaflet as dl
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

from dashboard import formats, ids
from dashboard import periods as asofmod
from dashboard.foresight import explain
from dashboard.i18n import current_lang, t, value
from dashboard.kpi.registry import get
from dashboard.overview_data import (
    ALERT_COUNTERS,
    CARD_KEYS,
    INDICATORS,
    THEMES,
    TREND_KEYS,
    WINDOW_DAYS,
    order_alerts,
)
from dashboard.playback import CARD_KEYS as PLAYBACK_CARDS
from layouts import theme

NEUTRAL_CARDS = frozenset({"today", "reported", "key_persons"})
"""Cards whose change is shown without a good/bad tone: more reports can mean more trust
in the channel as well as more trouble, more listed key persons better coverage as well
as more need."""
INITIAL_CENTER = (32.2, 120.9)  # Nantong; the first callback fits the map to the region
INITIAL_ZOOM = 8
KIOSK_DEFAULT_SECONDS = 30

# ----------------------------------------------------------------------------- formats


def _is_rate(key: str) -> bool:
    """A map indicator shown in % (its KPI is a rate: 满意率, 群众满意度(测评口径))."""
    return key in INDICATORS and get(INDICATORS[key].kpi).unit == "%"


def format_indicator(key: str, value: float | None, lang: str = "zh") -> str:
    """A map indicator value as one short label (``1,234``, ``93.5%``, ``18.2小时``)."""
    if formats.missing(value):
        return formats.MISSING
    if _is_rate(key):
        return formats.rate(value, lang)
    if key == "handle":
        return formats.duration(value, lang)
    if key == "key_persons":
        return f"{value:.1f}"
    return formats.count(value, lang)


def format_change(value: float, base: float | None, key: str, lang: str = "zh") -> dict:
    """A change against a base for a card: text, direction and whether it is better.

    Rates change in percentage points (``▲ 1.2个百分点`` / ``▲ 1.2 pp``: a per cent would
    read as a relative change); counts and durations change relatively (``▲ 8.3%``), the
    dialect of :mod:`dashboard.formats`.

    Returns
    -------
    dict
        ``text`` (``▲ 8.3%``, ``▼ 1.2pp``, ``持平`` or no-base text), ``direction``
        (``up``, ``down``, ``flat``, ``none``) and ``tone`` (``good``, ``bad``, ``flat``).
    """
    kpi = get(key)
    if base is None or value is None or math.isnan(value) or math.isnan(base):
        return {"text": t("card.no_base", lang), "direction": "none", "tone": "flat"}
    diff = value - base
    if kpi.unit == "%":
        amount = formats.rate_change(abs(diff), lang)[1:]
        flat = round(abs(100 * diff), 1) == 0
    elif base == 0:
        if diff == 0:
            amount, flat = "", True
        else:
            return {"text": "▲ " + t("card.no_base", lang), "direction": "up", "tone": "flat"}
    else:
        rel = 100 * diff / base
        amount = formats.relative_change(abs(diff / base), lang)[1:]
        flat = round(abs(rel), 1) == 0
    if flat:
        return {"text": "持平" if lang == "zh" else "flat", "direction": "flat", "tone": "flat"}
    better = (diff > 0) == (kpi.better == "higher")
    return {
        "text": ("▲ " if diff > 0 else "▼ ") + amount,
        "direction": "up" if diff > 0 else "down",
        "tone": "good" if better else "bad",
    }


def format_age(minutes: float, lang: str = "zh") -> str:
    """A data age in the largest whole unit (分钟, 小时, 天)."""
    if minutes < 120:
        return t("time.minutes", lang, n=int(minutes))
    if minutes < 48 * 60:
        return t("time.hours", lang, n=int(minutes // 60))
    return t("time.days", lang, n=int(minutes // (24 * 60)))


# --------------------------------------------------------------------------- choropleth


def _nice(x: float, digits: int = 2) -> float:
    """Round to ``digits`` significant digits, so legend bounds read as round numbers."""
    if x == 0:
        return 0.0
    scale = 10 ** (int(math.floor(math.log10(abs(x)))) - digits + 1)
    return round(x / scale) * scale


def class_breaks(values: Sequence[float], k: int = len(theme.RAMP)) -> list[float]:
    """Lower bounds of the colour classes above the first, from quantiles of ``values``.

    Quantiles rather than equal intervals: with a handful of regions of very different
    size, equal intervals put almost every region in one colour. Bounds are rounded to
    two significant digits (three when that would merge them) for a readable legend;
    duplicates collapse, so a flat distribution gives fewer classes rather than empty
    ones. NaN values (no data) are ignored.

    Returns
    -------
    list of float
        Strictly increasing bounds ``b`` with ``min(values) < b <= max(values)``; a value
        ``v`` falls in class ``sum(v >= b for b in bounds)``.
    """
    vals = sorted(float(v) for v in values if v is not None and not math.isnan(v))
    if len(vals) < 2 or vals[0] == vals[-1]:
        return []
    lo, hi = vals[0], vals[-1]
    for digits in (2, 3, 4):
        bounds = set()
        for i in range(1, k):
            q = vals[min(len(vals) - 1, math.ceil(i * len(vals) / k))]
            b = _nice(q, digits)
            if lo < b <= hi:
                bounds.add(b)
        if len(bounds) >= min(k - 1, len(set(vals)) - 1):
            break
    if not bounds:
        bounds.add(_nice((lo + hi) / 2, 3) if lo < _nice((lo + hi) / 2, 3) <= hi else hi)
    return sorted(int(b) if float(b).is_integer() else b for b in bounds)


def class_colors(n_classes: int, better: str = "lower") -> list[str]:
    """``n_classes`` colours spread over the ramp; reversed when higher is better, so hot
    colours always mean worse."""
    ramp = list(theme.RAMP if better == "lower" else reversed(theme.RAMP))
    if n_classes <= 1:
        return [ramp[len(ramp) // 2]]
    last = len(ramp) - 1
    return [ramp[round(i * last / (n_classes - 1))] for i in range(n_classes)]


def color_of(value: float, breaks: Sequence[float], colors: Sequence[str]) -> str:
    """The fill colour of ``value``; the same rule ``styleRegion`` applies in the browser."""
    return colors[sum(value >= b for b in breaks)]


def indicator_better(key: str) -> str:
    """Which direction of a map indicator is good (from its KPI in the registry)."""
    return get(INDICATORS[key].kpi).better if key != "incidents" else "lower"


def choropleth(frame: pd.DataFrame, indicator: str, lang: str = "zh",
               selected: str | None = None) -> dict:
    """The ``hideout`` of the region layer for one indicator.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`dashboard.overview_data.children` output (``code``, ``name`` and one column
        per indicator).
    indicator : str
        Key of :data:`~dashboard.overview_data.INDICATORS` to colour by.
    selected : str, optional
        Code of a highlighted unit (the grid in view).

    Returns
    -------
    dict
        ``values`` and ``labels`` per code, class ``breaks`` and ``colors``, ``noData``,
        ``unit``, ``selected`` and ``details``: every indicator's label per code for the
        hover box, so labels are formatted once and map, legend and hover agree.
    """
    values = {}
    for code, v in zip(frame["code"], frame[indicator], strict=True):
        values[code] = None if pd.isna(v) else float(v)
    shown = {c: v for c, v in values.items() if v is not None}
    breaks = class_breaks(list(shown.values()))
    scale = 100 if _is_rate(indicator) else 1
    details = {}
    for row in frame.to_dict("records"):
        details[row["code"]] = [
            [t(f"ind.{key}", lang), format_indicator(key, row[key], lang)]
            for key in INDICATORS
        ]
    return {
        "indicator": indicator,
        "values": {c: (None if v is None else v * scale) for c, v in values.items()},
        "labels": {c: format_indicator(indicator, v, lang) for c, v in values.items()},
        "breaks": [b * scale for b in breaks],
        "rawBreaks": breaks,
        "colors": class_colors(len(breaks) + 1, indicator_better(indicator)),
        "noData": theme.NO_DATA,
        "unit": t(f"unit.{indicator}", lang),
        "selected": selected,
        "details": details,
        "names": dict(zip(frame["code"], frame["name"], strict=True)),
    }


def legend(hideout: Mapping, lang: str = "zh") -> list:
    """Legend rows for the colour classes of ``hideout`` (highest first, as maps read)."""
    indicator = hideout.get("indicator", "incidents")
    breaks, colors = list(hideout.get("rawBreaks", [])), list(hideout["colors"])
    unit = hideout.get("unit", "")

    def fmt(v):
        return format_indicator(indicator, v, lang)

    if not hideout.get("values") or not any(v is not None for v in hideout["values"].values()):
        rows = [(theme.NO_DATA, t("map.no_data", lang))]
    elif not breaks:
        rows = [(colors[0], t("map.same", lang))]
    else:
        labels = [f"< {fmt(breaks[0])}"]
        labels += [f"{fmt(a)} – {fmt(b)}" for a, b in zip(breaks, breaks[1:], strict=False)]
        labels.append(f"≥ {fmt(breaks[-1])}")
        rows = list(zip(colors, labels, strict=True))
    return [
        html.Div(t(f"ind.{indicator}", lang) + (t("map.unit", lang, unit=unit) if unit else ""),
                 className="gc-legend-title"),
        *[
            html.Div(className="gc-legend-row", children=[
                html.Span(className="gc-legend-swatch", style={"background": color}),
                html.Span(label, className="gc-legend-label"),
            ])
            for color, label in reversed(rows)
        ],
    ]


def breadcrumb(crumbs: Sequence[Mapping], lang: str = "zh", label=None) -> list:
    """The drill path as buttons; every level but the last takes the map back up.

    ``label(level, lang)`` names a level (the store's own names,
    :meth:`dashboard.levels.Levels.label`); default the catalogue's.
    """
    label = label or (lambda level, lang: t(f"level.{level}", lang))
    items = []
    for i, crumb in enumerate(crumbs):
        last = i == len(crumbs) - 1
        if i:
            items.append(html.Span("›", className="gc-crumb-sep"))
        items.append(html.Button(
            crumb["name"],
            id={"type": ids.OVERVIEW_CRUMB_BUTTON, "code": crumb["code"]},
            className="gc-crumb" + (" gc-crumb-current" if last else ""),
            disabled=last,
            title=label(crumb["level"], lang),
            n_clicks=0,
        ))
    return items


# ------------------------------------------------------------------------------ panels


def card_label(key: str, lang: str = "zh", period: str = asofmod.DEFAULT_PERIOD,
               day: date | None = None) -> str:
    """A card's title: 上报数 names its period (近30天上报, 本月上报 …), the day's count its
    day when it is not today (``06-30上报``)."""
    if key == "reported":
        return t(f"card.reported.{period}", lang)
    if key == "today" and day is not None:
        return t("card.today_on", lang, day=f"{day:%m-%d}")
    return t(f"card.{key}", lang)


def kpi_cards(cards: Sequence[Mapping], lang: str = "zh", region: str = "",
              period: str = asofmod.DEFAULT_PERIOD, day: date | None = None) -> list:
    """One card per KPI: value and unit, 环比 and 同比 changes, traffic light.

    ``region`` (the scope's short code) is written on each card, so a test or a benchmark
    can tell which region the figures on screen belong to. ``period`` names the cards'
    period; ``day`` the as-of day when it is not today (None: live).
    """
    out = []
    for card in cards:
        number, unit = formats.kpi(card["kpi"], card["value"], lang)
        if card.get("shown"):  # a hidden small count ("<5", "*"): no value, no change
            number = card["shown"]
        changes = []
        if card["key"] != "today" and not card.get("shown"):
            for base in card.get("bases", ("mom", "yoy")):
                change = format_change(card["value"], card[base], card["kpi"], lang)
                if card["key"] in NEUTRAL_CARDS:
                    change["tone"] = "flat"
                changes.append(html.Div(className="gc-kpi-change", children=[
                    html.Span(t(f"card.{base}", lang), className="gc-kpi-change-label"),
                    html.Span(change["text"],
                              className=f"gc-kpi-change-value gc-tone-{change['tone']}"),
                ]))
        light = card.get("light")
        out.append(html.Div(
            className="gc-kpi" + (f" gc-kpi-{light}" if light else ""),
            id={"type": ids.OVERVIEW_KPI_CARD, "key": card["key"]},
            **{"data-value": "" if card["value"] is None or math.isnan(card["value"])
               else repr(float(card["value"])), "data-region": region},
            title=get(card["kpi"]).formula,
            children=[
                html.Div(className="gc-kpi-head", children=[
                    html.Span(card_label(card["key"], lang, period, day),
                              className="gc-kpi-label"),
                    html.Span(t(f"card.light.{light}", lang),
                              className=f"gc-light gc-light-{light}") if light else None,
                ]),
                html.Div(className="gc-kpi-line", children=[
                    html.Span(number, className="gc-kpi-value"),
                    html.Span(unit, className="gc-kpi-unit"),
                ]),
                companion_line(card.get("companion"), lang),
                html.Div(changes, className="gc-kpi-changes"),
            ],
        ))
    return out


def companion_line(companion: Mapping | None, lang: str = "zh"):
    """The small line under a card's value with the KPI shown beside it (the median beside
    a mean duration, 有时限 share beside 按期结案率); None without one."""
    if not companion:
        return None
    text = formats.kpi_text(companion["kpi"], companion["value"], lang)
    return html.Div(className="gc-kpi-sub",
                    **{"data-kpi": companion["kpi"], "data-value": "" if formats.missing(
                        companion["value"]) else repr(float(companion["value"]))},
                    children=t(f"companion.{companion['kpi']}", lang, value=text))


def trend_figure(frame: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Three stacked small charts: cases, mean handling time, satisfaction by month.

    The figure object, for callers that style it further; the overview's callback sends
    :func:`trend_figure_json`, the same figure as plain JSON without plotly's validation
    (issue 18: building the figure cost 50–200 ms per refresh)."""
    return go.Figure(trend_figure_json(frame, lang))


@lru_cache(maxsize=4)
def _trend_skeleton(lang: str) -> str:
    """The trend figure's layout and styled traces without data, as plotly JSON text: built
    once per language with plotly's subplot machinery (axis domains, titles, template)."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=[t(f"trend.{k}", lang) for k in TREND_KEYS])
    for row, key in enumerate(TREND_KEYS, start=1):
        color = theme.SERIES[row - 1]
        if _TREND_KINDS[key] == "bar":
            trace = go.Bar(x=[], y=[], marker_color=color, name=t(f"trend.{key}", lang),
                           hovertemplate="%{x}: %{y:,.0f}<extra></extra>")
        else:
            trace = go.Scatter(x=[], y=[], mode="lines+markers", name=t(f"trend.{key}", lang),
                               line={"color": color, "width": 2.5}, marker={"size": 6},
                               connectgaps=False,
                               hovertemplate="%{x}: %{y:.1f}<extra></extra>")
        fig.add_trace(trace, row=row, col=1)
    fig.update_layout(showlegend=False,
                      margin={"l": 46, "r": 10, "t": 22, "b": 22}, bargap=0.35)
    fig.update_annotations(font={"size": 13, "color": theme.MUTED}, x=0, xanchor="left")
    fig.update_yaxes(nticks=4)
    # Month labels are categories: plotly would otherwise read "25.12" as a number or date.
    fig.update_xaxes(type="category", tickangle=0, nticks=6)
    return fig.to_json()


_TREND_KINDS = {"reported": "bar", "avg_handle_hours": "line", "satisfaction_rate": "line"}
_TREND_SCALE = {"reported": 1, "avg_handle_hours": 1, "satisfaction_rate": 100}


def trend_figure_json(frame: pd.DataFrame, lang: str = "zh") -> dict:
    """:func:`trend_figure` as a plotly JSON dict: the cached skeleton with this frame's
    months and values filled in (NaN as null: a gap in the line)."""
    fig = json.loads(_trend_skeleton(lang))
    months = [pd.Timestamp(p).strftime("%y.%m") for p in frame["period"]]
    layout = fig["layout"]
    for row, key in enumerate(TREND_KEYS, start=1):
        values = frame[key].astype(float) * _TREND_SCALE[key]
        trace = fig["data"][row - 1]
        trace["x"] = months
        trace["y"] = [None if pd.isna(v) else float(v) for v in values]
        axis = layout["yaxis" if row == 1 else f"yaxis{row}"]
        if frame[key].isna().all():
            # no month has a value: say so rather than draw an empty axis of made-up ticks
            suffix = "" if row == 1 else str(row)
            layout.setdefault("annotations", []).append({
                "text": t("map.no_data", lang), "xref": f"x{suffix} domain",
                "yref": f"y{suffix} domain", "x": 0.5, "y": 0.5, "showarrow": False,
                "font": {"size": 13, "color": theme.MUTED}})
            axis.update(showticklabels=False, showgrid=False)
        elif key != "satisfaction_rate":
            # counts and hours start at zero (an all-zero year would otherwise get −1…1)
            axis["rangemode"] = "tozero"
    return fig


def _time(value, fmt: str = "%m-%d %H:%M") -> str:
    return pd.Timestamp(value).strftime(fmt) if value is not None and not pd.isna(value) else ""


def _worded(name, english, lang: str) -> str:
    """A stored name in ``lang``: its English name in English where the store has one,
    else the stored name (an imported store may lack English names)."""
    if lang == "en" and isinstance(english, str) and english:
        return english
    return "" if name is None or (isinstance(name, float) and name != name) else str(name)


def feed_list(frame: pd.DataFrame, lang: str = "zh", day: date | None = None) -> list:
    """The live feed rows: time, category, place, source and status (as of ``day`` when
    the screen is not live). In English the category and the source read by the store's
    English names (``category_en``, ``source_en`` of :func:`dashboard.overview_data.feed`)
    where it has them, the status by the code's vocabulary; place names stay as stored."""
    if frame.empty:
        text = t("feed.none_asof", lang, day=day.isoformat()) if day else t("feed.none", lang)
        return [html.Li(text, className="gc-empty")]
    out = []
    for row in frame.to_dict("records"):
        source = _worded(row["source"], row.get("source_en"), lang)
        place = row["place"] or ""
        out.append(html.Li(className="gc-feed-row", **{"data-id": str(row["id"])}, children=[
            html.Span(_time(row["reported_at"], "%H:%M"), className="gc-feed-time"),
            html.Div(className="gc-feed-body", children=[
                html.Div(className="gc-feed-line", children=[
                    html.Span(_worded(row["category"], row.get("category_en"), lang),
                              className="gc-feed-cat"),
                    html.Span(value("status", row["status"], lang), className="gc-feed-status"
                              + (" gc-feed-void" if row["is_void"] else "")),
                ]),
                html.Div([place, " · " if place and source else "",
                          html.Span(source, className="gc-feed-source")],
                         className="gc-feed-place"),
            ]),
        ]))
    return out


ALERT_KINDS = ALERT_COUNTERS


def alert_counters(counts: Mapping[str, int], lang: str = "zh") -> list:
    """The five alert counters (red overdue, yellow due soon, major hazards, IoT alarms,
    surge alerts)."""
    return [
        html.Div(className=f"gc-alert-count gc-alert-{kind}",
                 id={"type": ids.OVERVIEW_ALERT_COUNT, "kind": kind},
                 **{"data-count": str(int(counts.get(kind, 0)))},
                 children=[
                     html.Span(formats.count(counts.get(kind, 0), lang),
                               className="gc-alert-n"),
                     html.Span(t("alert.surges" if kind == "surge" else f"alert.{kind}", lang),
                               className="gc-alert-label"),
                 ])
        for kind in ALERT_KINDS
    ]


def critical_alert(critical: dict | None, lang: str = "zh") -> dict | None:
    """The critical alert as the screen keeps it (the kiosk jump's notice), its title in
    ``lang`` (a surge alert's evidence worded from its stored parts)."""
    if critical is None:
        return None
    out = {k: v for k, v in critical.items() if k != "parts"}
    out["title"] = explain.item_title(critical, lang)
    return out


def alert_list(items: pd.DataFrame, lang: str = "zh", limit: int = 7) -> list:
    """The most severe alerts across kinds, in the order of
    :func:`dashboard.overview_data.order_alerts` (critical items, then overdue, then due
    soon, then the rest)."""
    if items.empty:
        return [html.Li(t("alert.none", lang), className="gc-empty")]
    # a dozen rows: plain Python (pandas' sort, head and concat cost milliseconds here)
    top = order_alerts(items.to_dict("records"))[:limit]
    out = []
    for row in top:
        surge = row["kind"] == "surge"
        when = _time(row["at"], "%m-%d") if surge else _time(row["at"])
        note = f"{t('alert.deadline', lang)} {when}" if row["kind"] in (
            "overdue", "due_soon", "at_risk") \
            else when
        out.append(html.Li(
            className=f"gc-alert-row gc-alert-{row['kind']}"
            + (" gc-alert-critical" if row["critical"] else ""),
            **{"data-village": row["village_code"], "data-ref": str(row["ref"])},
            **({"title": t("alert.surge_note", lang)} if surge else {}),
            children=[
                html.Span(t(f"alert.{row['kind']}", lang), className="gc-alert-tag"),
                html.Div(className="gc-alert-body", children=[
                    html.Div(explain.item_title(row, lang), className="gc-alert-title"),
                    html.Div(f"{row['village']} · {note}", className="gc-alert-place"),
                ]),
            ],
        ))
    return out


RISK_ITEMS = 5
"""Rows of the overview's at-risk pane (it takes the alert list's place on the card)."""
RISK_STAGES = {"registered": ("待派遣", "to dispatch"), "dispatched": ("处置中", "in hand"),
               "handled": ("待核查", "to verify"), "verified": ("待结案", "to close")}


def risk_tabs(count: int | None, lang: str = "zh") -> list[dict]:
    """The alerts card's two panes: 预警 and 超期风险 with 风险案件数 (``–`` unknown)."""
    n = "–" if count is None else formats.count(count, lang)
    return [{"label": t("risk.tab_alerts", lang), "value": "alerts"},
            {"label": t("risk.tab", lang, n=n), "value": "risk"}]


def risk_pane(risk: dict | None, lang: str = "zh", live: bool = True) -> list:
    """即将超期风险 on the overview: 风险案件数 of the region in view and its most likely
    cases (probability, 小类, stage, deadline and the stored reasons), as stored by the
    last scoring run (``foresight_scores``; the 时效 page shows the longer queue)."""
    note = html.Details([html.Summary(t("analysis.help", lang)), html.P(t("risk.note", lang))],
                        className="gc-help gc-risk-help")
    if not live:
        return [html.Div(t("risk.past", lang), className="gc-empty"), note]
    if not risk or not risk.get("ever_scored"):  # never scored (risk["scored"] is a count)
        return [html.Div(t("risk.none", lang), className="gc-empty"), note]
    at = pd.Timestamp(risk["asof_at"])
    head = html.Div(t("risk.head", lang, n=formats.exact(risk["at_risk"]),
                      scored=formats.exact(risk["scored"]),
                      p=f"{risk['threshold']:.0%}", at=f"{at:%m-%d %H:%M}"),
                    className="gc-risk-meta", **{"data-count": str(int(risk["at_risk"]))})
    rows, below = risk["rows"], False
    if rows.empty and len(risk.get("watch", ())):
        rows, below = risk["watch"], True
    if rows.empty:
        return [head, html.Div(t("alert.none", lang), className="gc-empty"), note]
    items = []
    zh = lang == "zh"
    for r in rows.head(RISK_ITEMS).itertuples():
        stage = RISK_STAGES.get(r.stage, (r.stage, r.stage))[0 if zh else 1]
        why = explain.stored_reasons("risk", getattr(r, "reason_parts", None), r.reasons, lang)
        items.append(html.Li(
            className="gc-alert-row gc-risk-item" + (" gc-risk-below" if below else ""),
            **{"data-case": r.case_no, "data-p": f"{r.probability:.4f}"},
            children=[
                html.Span(f"{r.probability:.0%}", className="gc-alert-tag"),
                html.Div(className="gc-alert-body", children=[
                    html.Div(f"{r.minor_name or r.category_code or ''} · {r.case_no}",
                             className="gc-alert-title"),
                    html.Div(f"{stage} · {t('alert.deadline', lang)} "
                             f"{pd.Timestamp(r.deadline_at):%m-%d %H:%M}",
                             className="gc-alert-place"),
                    html.Div(why, className="gc-risk-why", title=why),
                ]),
            ]))
    out = [head]
    if below:
        out.append(html.Div(t("risk.nothing", lang, n=len(items)), className="gc-empty"))
    return [*out, html.Ol(items, className="gc-alert-list gc-risk-list"), note]


def league_list(frame: pd.DataFrame, lang: str = "zh", limit: int = 8) -> list:
    """Sub-regions by composite grade: rank, name, grade badge and score bar."""
    if frame.empty:
        return [html.Li(t("status.empty", lang), className="gc-empty")]
    # only the columns shown: a scored table has dozens, and records of all cost more
    # than the list itself
    rows = frame.head(limit)[["code", "name", "ranked", "rank", "score_shrunk", "grade"]] \
        .to_dict("records")
    out = []
    for row in rows:
        ranked = bool(row["ranked"])
        score = float(row["score_shrunk"]) if not pd.isna(row["score_shrunk"]) else 0.0
        grade = row["grade"] or "–"
        out.append(html.Li(
            className="gc-rank-row" + ("" if ranked else " gc-rank-unranked"),
            **{"data-code": row["code"], "data-grade": grade},
            title=f"{row['name']}：{score:.1f}",
            children=[
                html.Span(str(int(row["rank"])) if ranked else "–", className="gc-rank-no"),
                html.Div(className="gc-rank-body", children=[
                    html.Div(className="gc-rank-line", children=[
                        html.Span(row["name"], className="gc-rank-name"),
                        html.Span(f"{score:.1f}" if ranked else t("league.unranked", lang),
                                  className="gc-rank-value"),
                        html.Span(grade, className=f"gc-grade gc-grade-{grade}"),
                    ]),
                    html.Div(className="gc-rank-track", children=html.Div(
                        className="gc-rank-bar", style={"width": f"{score:.1f}%"})),
                ]),
            ],
        ))
    if len(frame) > limit:
        out.append(html.Li(t("league.more", lang, n=len(frame) - limit), className="gc-more"))
    return out


# ------------------------------------------------------------------------------ layout


def _card(title, body, class_name="", head_id=None, note=None, note_id=None):
    return html.Section(className=f"gc-card {class_name}", children=[
        html.Div(className="gc-card-head", children=[
            html.H2(title, id=head_id) if head_id else html.H2(title),
            html.Span(note, className="gc-card-note",
                      **({"id": note_id} if note_id else {})) if note is not None else None,
        ]),
        body,
    ])


def asof_controls(asof: date | None, period: str, lang: str = "zh") -> html.Div:
    """The as-of day and period controls over the map (for leaders; hidden on a kiosk).

    The picker is empty while the screen follows its default (now, or the last data day
    of a past store, which the server writes in as the placeholder); clearing it returns
    there. Both values are written back to the URL (``?asof=…&period=…``).
    """
    return html.Div(className="gc-asof-bar", children=[
        dcc.RadioItems(
            id=ids.OVERVIEW_PERIOD_RADIO, className="gc-periods",
            inputClassName="gc-period-input", labelClassName="gc-period",
            options=[{"label": t(f"period.{p}", lang), "value": p} for p in asofmod.PERIODS],
            value=period, inline=True,
        ),
        html.Span(t("asof.label", lang), className="gc-asof-label"),
        dcc.DatePickerSingle(
            id=ids.OVERVIEW_ASOF_PICKER, className="gc-asof-picker",
            **({"date": asof.isoformat()} if asof else {}), display_format="YYYY-MM-DD",
            placeholder=t("asof.live", lang), clearable=True, first_day_of_week=1,
            min_date_allowed=asofmod.EARLIEST.isoformat(),
        ),
    ])


def period_text(period: str, start: date, end: date, day: date | None,
                lang: str = "zh") -> str:
    """The map's subtitle: the period and its dates, and the day stocks are taken at
    (今日 when live; ``day`` otherwise, dates then with their year)."""
    fmt = "%m-%d" if day is None else "%Y-%m-%d"
    stock = t("asof.today", lang) if day is None else f" {day.isoformat()}"
    return t("map.period", lang, period=t(f"period.{period}", lang), start=f"{start:{fmt}}",
             end=f"{end:{fmt}}", stock=stock)


def status_banner(a: asofmod.AsOf, age_minutes: float | None, stale_minutes: float,
                  lang: str = "zh") -> tuple[str, bool, str]:
    """The banner over the map: (text, hidden, class).

    A screen not showing now says so (数据截至 … when the store's data ended long ago,
    查看 … when a day was picked); a live screen warns when the feeds went quiet
    (``stale_minutes``) or the store is empty.
    """
    base = "gc-banner "
    if a.mode == "data":
        return (t("status.asof_data", lang, day=a.day.isoformat()), False,
                base + "gc-banner-asof")
    if a.mode == "chosen":
        return (t("status.asof_chosen", lang, day=a.day.isoformat()), False,
                base + "gc-banner-asof")
    if age_minutes is None:
        return t("status.empty", lang), False, base + "gc-banner-stale"
    if age_minutes > stale_minutes:
        return (t("status.stale", lang, age=format_age(age_minutes, lang)), False,
                base + "gc-banner-stale")
    return "", True, base + "gc-banner-stale"


def layout(region: str | None = None, indicator: str | None = None, kiosk: str | None = None,
           rotate: str | None = None, asof: str | None = None, period: str | None = None,
           play: str | None = None, **_query) -> html.Div:
    """Return the overview page.

    URL parameters: ``region`` (a code to open at, inside the user's jurisdiction: an
    internal code or, on a store built from a city's boundaries, its source code),
    ``indicator`` (one of the map indicators), ``asof`` (``YYYY-MM-DD``: show the store as
    it stood at the end of that day; default now, or the last data day of a store whose
    data ended days ago), ``period`` (one of :data:`dashboard.periods.PERIODS`, default
    ``30d``), ``kiosk=1`` to rotate through the themes and jump to new critical alerts,
    ``rotate`` (seconds per theme, default 30), ``play=1`` to replay the period day by day
    on opening, in a loop (态势回放). Unknown or malformed values fall back to
    the defaults; the region is checked on the server by every callback, like any other
    input.
    """
    lang = current_lang()
    indicator = indicator if indicator in INDICATORS else "incidents"
    kiosk_on = kiosk in ("1", "true", "yes")
    try:
        seconds = max(5, min(3600, int(rotate))) if rotate else KIOSK_DEFAULT_SECONDS
    except ValueError:
        seconds = KIOSK_DEFAULT_SECONDS
    region = region.strip() if isinstance(region, str) and region.strip().isprintable() \
        and len(region) <= 64 else ""
    try:
        asof_day = asofmod.parse_asof(asof)
    except ValueError:
        asof_day = None
    try:
        period = asofmod.parse_period(period)
    except ValueError:
        period = asofmod.DEFAULT_PERIOD
    return html.Div(className="gc-page gc-overview" + (" gc-kiosk" if kiosk_on else ""), children=[
        html.Aside(className="gc-col gc-col-left", children=[
            _card(t("panel.kpis", lang, period=t(f"period.{period}", lang)),
                  html.Div(id=ids.OVERVIEW_CARDS_DIV, className="gc-kpi-grid"),
                  "gc-cards-card", head_id=ids.OVERVIEW_CARDS_TITLE),
            _card(t("panel.trends", lang),
                  dcc.Graph(id=ids.OVERVIEW_TREND_GRAPH, className="gc-trend-graph",
                            config=theme.graph_config(lang), figure=go.Figure()),
                  "gc-trend-card"),
        ]),
        html.Section(className="gc-map-panel", children=[
            dl.MapContainer(
                id=ids.OVERVIEW_MAP, className="gc-map",
                center=list(INITIAL_CENTER), zoom=INITIAL_ZOOM, zoomSnap=0.1, zoomDelta=0.5,
                attributionControl=False, zoomControl=False,
                children=[
                    dl.ZoomControl(position="bottomright"),
                    dl.LayerGroup(id=ids.OVERVIEW_BASE_LAYERGROUP, children=[]),
                    dl.GeoJSON(
                        id=ids.OVERVIEW_REGIONS_GEOJSON,
                        style={"variable": "gridcmd.map.styleRegion"},
                        onEachFeature={"variable": "gridcmd.map.bindRegion"},
                        hoverStyle={"weight": 3, "color": "#ffffff", "fillOpacity": 0.92},
                        hideout={"values": {}, "colors": [theme.NO_DATA], "breaks": []},
                    ),
                    # A click on a point or a cluster is a click on the unit under it
                    # (gridcmd.overview.pointClick): dense points must not swallow the
                    # drill-down.
                    dl.GeoJSON(
                        id=ids.OVERVIEW_INCIDENTS_GEOJSON, cluster=True,
                        superClusterOptions={"radius": 60, "maxZoom": 17},
                        pointToLayer={"variable": "gridcmd.map.incidentPoint"},
                        clusterToLayer={"variable": "gridcmd.map.clusterIcon"},
                        eventHandlers={"click": {"variable": "gridcmd.overview.pointClick"}},
                    ),
                    dl.GeoJSON(
                        id=ids.OVERVIEW_HAZARDS_GEOJSON,
                        pointToLayer={"variable": "gridcmd.map.hazardPoint"},
                        eventHandlers={"click": {"variable": "gridcmd.overview.pointClick"}},
                    ),
                ],
            ),
            html.Div(className="gc-map-top", children=[
                html.Nav(id=ids.OVERVIEW_CRUMBS_NAV, className="gc-crumbs"),
                html.H1("–", id=ids.OVERVIEW_TITLE_TEXT),
                html.Div("–", id=ids.OVERVIEW_PERIOD_TEXT, className="gc-map-subtitle"),
                asof_controls(asof_day, period, lang),
            ]),
            dcc.RadioItems(
                id=ids.OVERVIEW_INDICATOR_RADIO, className="gc-indicators",
                inputClassName="gc-indicator-input", labelClassName="gc-indicator",
                options=[{"label": t(f"ind.{k}", lang), "value": k} for k in INDICATORS],
                value=indicator,
            ),
            html.Div(id=ids.OVERVIEW_CRITICAL_DIV, className="gc-banner gc-banner-critical",
                     hidden=True),
            html.Div(id=ids.OVERVIEW_LEGEND_DIV, className="gc-legend"),
            html.Div(id=ids.OVERVIEW_HOVER_DIV, className="gc-hover"),
            html.Div(className="gc-map-foot", children=[
                html.Span(id=ids.OVERVIEW_KIOSK_TEXT, className="gc-kiosk-note",
                          children=t("kiosk.on", lang, n=seconds) if kiosk_on else ""),
                html.Span(id=ids.OVERVIEW_ASOF_TEXT, className="gc-asof"),
            ]),
            # the stale-data / as-of banner sits above the playback controls, in their
            # column, so neither covers the other however tall the open player grows
            playback_panel(lang, autoplay=play in ("1", "true", "yes"),
                           banner=html.Div(id=ids.OVERVIEW_STALE_DIV,
                                           className="gc-banner gc-banner-stale",
                                           hidden=True)),
        ]),
        html.Aside(className="gc-col gc-col-right", children=[
            _card(t("panel.alerts", lang), html.Div([
                html.Div(id=ids.OVERVIEW_ALERT_PANE, children=[
                    html.Div(id=ids.OVERVIEW_ALERT_COUNTS_DIV, className="gc-alert-counts"),
                    html.Ol(id=ids.OVERVIEW_ALERT_LIST, className="gc-alert-list"),
                ]),
                html.Div(id=ids.OVERVIEW_RISK_DIV, className="gc-risk-pane", hidden=True),
            ]), "gc-alerts-card",
                  note=dcc.RadioItems(id=ids.OVERVIEW_ALERT_TAB,
                                      className="gc-periods gc-alert-tabs",
                                      options=risk_tabs(None, lang), value="alerts",
                                      inline=True)),
            _card(t("panel.feed", lang), html.Ol(id=ids.OVERVIEW_FEED_LIST,
                                                 className="gc-feed-list"), "gc-feed-card",
                  head_id=ids.OVERVIEW_FEED_TITLE),
            _card("–", html.Ol(id=ids.OVERVIEW_LEAGUE_LIST, className="gc-rank-list"),
                  "gc-league-card", head_id=ids.OVERVIEW_LEAGUE_TITLE,
                  note=t("league.note", lang, period=t(f"period.{period}", lang)),
                  note_id=ids.OVERVIEW_LEAGUE_NOTE),
        ]),
        dcc.Location(id=ids.OVERVIEW_URL, refresh=False),
        dcc.Store(id=ids.OVERVIEW_REGION_STORE, data=region),
        dcc.Store(id=ids.OVERVIEW_TREND_STORE, data=None),
        dcc.Store(id=ids.OVERVIEW_CRITICAL_STORE, data=None),
        dcc.Store(id=ids.OVERVIEW_SEEN_STORE, data=None),
        dcc.Store(id=ids.OVERVIEW_KIOSK_STORE,
                  data={"on": kiosk_on, "themes": list(THEMES.values()),
                        "text": t("alert.new_critical", lang, title="{title}", place="{place}")}),
        dcc.Interval(id=ids.OVERVIEW_REFRESH_INTERVAL, interval=60_000),
        dcc.Interval(id=ids.OVERVIEW_ROTATE_INTERVAL, interval=seconds * 1000,
                     disabled=not kiosk_on),
    ])


# --- time playback (态势回放: dashboard/playback.py, assets/gridcmd_playback.js) ---------

PLAYBACK_DECIMALS = {"handle": 1, "satisfaction": 1, "area_satisfaction": 1, "key_persons": 1}


def playback_panel(lang: str = "zh", autoplay: bool = False,
                   banner: html.Div | None = None) -> html.Div:
    """The play button and the (hidden until played) replay panel over the map's foot.

    ``autoplay``: start replaying when the page opens and loop (the kiosk's ``play=1``);
    ``banner``: a notice to head the column (the overview's stale-data / as-of banner).
    """
    cards = [html.Div(className="gc-playback-card", children=[
        html.Span(t(f"playback.card.{key}", lang), className="gc-playback-card-label"),
        html.Span("–", id=ids.PLAYBACK_CARD_TEXT.format(key=key),
                  className="gc-playback-card-value"),
    ]) for key in PLAYBACK_CARDS]
    return html.Div(id=ids.PLAYBACK_DIV, className="gc-playback", children=[
        *([banner] if banner is not None else []),
        html.Div(className="gc-playback-controls", children=[
            html.Button(t("playback.play", lang), id=ids.PLAYBACK_PLAY_BUTTON,
                        className="gc-playback-play", n_clicks=0),
            # 按日 over the screen's period, or 按时 over the last 72 hours
            dcc.RadioItems(id=ids.PLAYBACK_STEP_RADIO, value="day", inline=True,
                           className="gc-playback-step",
                           options=[{"label": t(f"playback.step.{s}", lang), "value": s}
                                    for s in ("day", "hour")]),
        ]),
        html.Div(id=ids.PLAYBACK_BODY_DIV, className="gc-playback-body", hidden=True,
                 children=[
            html.Div(className="gc-playback-head", children=[
                html.Span(t("playback.title", lang), className="gc-playback-title"),
                html.Span("–", id=ids.PLAYBACK_DAY_TEXT, className="gc-playback-day"),
                html.Span(id=ids.PLAYBACK_NOTE_TEXT, className="gc-playback-note"),
                html.Button(t("playback.close", lang), id=ids.PLAYBACK_CLOSE_BUTTON,
                            className="gc-playback-close", n_clicks=0),
            ]),
            html.Div(cards, className="gc-playback-cards"),
            html.Div(className="gc-playback-line", children=[
                html.Div(id=ids.PLAYBACK_TIMELINE_DIV, className="gc-playback-bars"),
                html.Div(id=ids.PLAYBACK_CURSOR_DIV, className="gc-playback-cursor"),
            ]),
            # the player (assets/gridcmd_playback.js) puts a range input here and drives it
            html.Div(id=ids.PLAYBACK_SLIDER, className="gc-playback-slider"),
            html.Div(id=ids.PLAYBACK_LEGEND_DIV, className="gc-playback-legend"),
        ]),
        dcc.Store(id=ids.PLAYBACK_FRAMES_STORE, data=None),
        dcc.Store(id=ids.PLAYBACK_STATE_STORE, data={
            "autoplay": autoplay, "loop": autoplay, "active": False,
            "text": {"play": t("playback.play", lang), "pause": t("playback.pause", lang),
                     "window": t("playback.window", lang, n="{n}"),
                     "stock": t("playback.stock", lang)}}),
    ])


def playback_timeline(reported: Sequence[float], days: Sequence[str], lang: str = "zh") -> list:
    """One bar per day of the period (当日上报), scaled to the highest day; the cursor over
    them is moved by the browser."""
    peak = max(reported, default=0) or 1
    return [html.Div(className="gc-playback-bar",
                     title=f"{day} {t('playback.card.reported', lang)} {int(v):,}",
                     style={"height": f"{max(2.0, 100 * v / peak):.1f}%"})
            for v, day in zip(reported, days, strict=True)]


def playback_payload(frames: Mapping, indicator: str, lang: str = "zh") -> dict:
    """What the browser's player needs of :func:`dashboard.playback.frames`: per unit one
    value per day as the map shows it (rates in %), colour classes fixed over the whole
    replay (a colour means the same value in every frame), the unit, the cards per day."""
    scale = 100 if _is_rate(indicator) else 1
    hourly = frames.get("step") == "hour"
    values = np.asarray(frames["values"], dtype=float)
    breaks = class_breaks(list(values[~np.isnan(values)]))
    shown = np.round(values * scale, 4)
    return {
        "indicator": indicator,
        "label": t(f"ind.{indicator}", lang),
        "unit": t(f"unit.{indicator}", lang),
        "decimals": PLAYBACK_DECIMALS.get(indicator, 0),
        "window": frames["window"],
        "step": "hour" if hourly else "day",
        "days": [d.strftime("%m-%d %H:00") if hourly else d.isoformat()
                 for d in frames["days"]],
        # what the player writes beside the day, and over the first two cards, by hour
        "note": t("playback.hours", lang, n=frames["window"]) if hourly else "",
        "cardLabels": ({"reported": t("playback.hour.reported", lang),
                        "closed": t("playback.hour.closed", lang)} if hourly else {}),
        "codes": list(frames["codes"]),
        "values": [[None if math.isnan(x) else float(x) for x in row] for row in shown],
        "breaks": [round(b * scale, 6) for b in breaks],
        "rawBreaks": breaks,
        "colors": class_colors(len(breaks) + 1, indicator_better(indicator)),
        "cards": {key: {"values": list(frames["cards"][key])} for key in PLAYBACK_CARDS},
    }


def playback_legend(payload: Mapping, lang: str = "zh") -> list:
    """The replay's colour classes, read like the map's legend."""
    any_value = next((v for row in payload["values"] for v in row if v is not None), None)
    return legend({"indicator": payload["indicator"], "unit": payload["unit"],
                   "rawBreaks": payload["rawBreaks"], "colors": payload["colors"],
                   "values": {"any": any_value}}, lang)


def asof_text(latest: datetime | None, lang: str = "zh") -> str:
    """The footer line naming the newest record."""
    if latest is None:
        return t("status.empty", lang)
    return t("status.asof", lang, time=latest.strftime("%Y-%m-%d %H:%M"))


__all__ = ["CARD_KEYS", "WINDOW_DAYS", "layout", "playback_panel", "playback_payload"]
