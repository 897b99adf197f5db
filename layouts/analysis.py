"""Building blocks every analysis page shares (事件分析 and the thematic pages).

The frame (URL, filter bar, chips, KPI strip with its definitions, export links), cards,
charts that cross-filter, the units map with box/lasso selection, and the figure builders.
All formatters are pure functions the callbacks call; charts use the one plotly theme of
``layouts/theme.py``, shared with the overview.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dash_leaflet as dl
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import formats, ids
from dashboard.filters import Filters
from dashboard.i18n import t
from dashboard.kpi.registry import COMPANIONS
from dashboard.kpi.registry import get as kpi_def
from layouts import theme
from layouts.filterbar import filter_bar
from layouts.overview import class_breaks, class_colors

DIM = "rgba(53,208,255,0.3)"


# --- the frame ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameData:
    """An analysis page's frame: its filters (the defaults and a message ``error`` when
    the link was bad or forbidden), the canonical ``search`` to rewrite the URL to (None:
    keep it), the store's vocabularies, its categories and the picked region's option."""

    filters: Filters
    error: str
    search: str | None
    vocab: object
    categories: pd.DataFrame
    region_options: list[dict]


def frame(page: str, data: FrameData, lang: str, fields: Iterable[str], body,
          exports: list | None = None, kpis: Sequence[str] = (), notes: Sequence[str] = (),
          strip=None):
    """An analysis page: URL, filter bar (showing ``fields``), total and chips, the KPI
    strip of ``kpis`` with a help panel of their definitions (and ``notes``), or a
    ``strip`` of the page's own, then ``body``. ``data`` is what the frame shows, read per
    page load by ``dashboard.frames.frame_data``."""
    error, search = data.error, data.search
    head = [html.Span(id=ids.page_id(page, "total", "text"), className="gc-total"),
            html.Div(id=ids.FILTER_CHIPS_DIV, className="gc-chips"),
            html.Div(error, id=ids.FILTER_ERROR_DIV, className="gc-filter-error")]
    if exports:
        head.append(html.Div(className="gc-exports", children=exports))
    return html.Div(className=f"gc-page gc-analysis gc-page-{page}", children=[
        dcc.Location(id=ids.FILTER_URL, refresh=False,
                     **({"search": search} if search is not None else {})),
        dcc.Store(id=ids.FILTER_PAGE_STORE, data=page),
        filter_bar(data.filters, data.categories, data.region_options, lang,
                   fields=set(fields), vocab=data.vocab),
        html.Div(className="gc-chipsrow", children=head),
        strip if strip is not None else (kpi_strip(page, kpis, notes, lang) if kpis else None),
        body,
    ])


def kpi_strip(page: str, keys: Sequence[str], notes: Sequence[str], lang: str) -> html.Div:
    """The page's KPI cards (filled by its callback) and a 指标说明 panel with each KPI's
    registry formula and definition (also on hover over a card)."""
    items = []
    for key in with_companions(keys):
        k = kpi_def(key)
        items.append(html.Li([
            html.B(k.name_zh if lang == "zh" else k.name_en), " = ", html.Code(k.formula),
            html.Div(definition(key, lang), className="gc-help-line"),
        ]))
    items += [html.Li(note) for note in notes]
    return html.Div(className="gc-kpistrip", children=[
        html.Div(id=ids.page_id(page, "kpis", "div"), className="gc-akpis"),
        html.Details(className="gc-help", children=[
            html.Summary(t("analysis.help", lang), id=ids.page_id(page, "help", "summary")),
            html.Ul(items, className="gc-help-list"),
        ]),
    ])


def definition(key: str, lang: str = "zh") -> str:
    """A KPI's definition in the page's language: the registry's numerator and denominator
    (Chinese) or its definition (English)."""
    k = kpi_def(key)
    if lang != "zh":
        return k.definition
    return f"分子：{k.numerator}" + (f"；分母：{k.denominator}" if k.denominator else "")


def with_companions(keys: Sequence[str]) -> list[str]:
    """``keys`` and the KPIs shown beside them (:data:`COMPANIONS`: medians beside mean
    durations, 有时限案件占比 beside on-time rates), each once."""
    return list(dict.fromkeys([*keys, *(COMPANIONS[k] for k in keys if k in COMPANIONS)]))


def card_detail(row, lang: str, companion=None) -> str:
    """The small line of a KPI card: numerator / denominator of a rate, the rows behind a
    duration, and the companion KPI (``中位 12.3小时``, ``有时限案件 92.3%``)."""
    k = kpi_def(row.key)
    parts = []
    if k.kind == "rate" and not pd.isna(row.denominator):
        parts.append(f"{formats.count(row.numerator, lang)} / "
                     f"{formats.count(row.denominator, lang)}")
    elif k.kind in ("mean", "quantile") and not pd.isna(row.denominator):
        parts.append(t("analysis.rows", lang, n=formats.count(row.denominator, lang)))
    if companion is not None:
        text = formats.kpi_text(companion.key, companion.value, lang)
        parts.append(t(f"companion.{companion.key}", lang, value=text))
    return " · ".join(parts)


def kpi_cards(values: pd.DataFrame, region_name: str, span_text: str, narrowed: bool,
              lang: str = "zh", shown: Sequence[str] | None = None,
              masked: dict | None = None) -> list:
    """KPI cards from an engine result (``key``, ``value``, ``numerator``,
    ``denominator``), each with its definition as the hover title. ``shown`` are the keys
    that get a card (default all); a companion of one of them (:data:`COMPANIONS`) found
    in ``values`` is written in that card's small line. ``masked`` gives the published
    value of a KPI where it may not be shown as computed (key persons for a user without
    clearance: "<5" or "*" from the protected table)."""
    by_key = {row.key: row for row in values.itertuples()}
    shown = list(by_key) if shown is None else [k for k in shown if k in by_key]
    cards = []
    for key in shown:
        row = by_key[key]
        k = kpi_def(row.key)
        number, unit = formats.kpi(row.key, row.value, lang)
        published = (masked or {}).get(row.key)
        if isinstance(published, str):
            number = published
        detail = card_detail(row, lang, by_key.get(COMPANIONS.get(key)))
        cards.append(html.Div(
            className="gc-akpi",
            title=f"{k.name_zh if lang == 'zh' else k.name_en}{t('analysis.colon', lang)}"
                  f"{k.formula}\n{definition(row.key, lang)}",
            id={"type": "analysis-kpi", "key": row.key}, children=[
                html.Div(k.name_zh if lang == "zh" else k.name_en, className="gc-akpi-name"),
                html.Div([html.Span(number, className="gc-akpi-value"),
                          html.Span(unit, className="gc-akpi-unit")]),
                html.Div(detail, className="gc-akpi-detail"),
            ]))
    scope_note = t("analysis.kpi_scope", lang, region=region_name, span=span_text)
    if narrowed:
        scope_note += t("analysis.kpi_narrowed", lang)
    return [*cards, html.Div(scope_note, className="gc-akpi-note")]


def card(title, body, area: str = "", note=None) -> html.Section:
    head = [html.H2(title)]
    if note:
        head.append(html.Span(note, className="gc-card-note"))
    return html.Section(className=f"gc-card {area}", children=[
        html.Div(head, className="gc-card-head"), body])


def graph_id(page: str, name: str, field: str | None = None):
    """A chart's id: pattern-matching when a click on it filters (``field``), so the one
    filter callback hears every page's charts."""
    if field:
        return {"type": ids.XFILTER_GRAPH, "field": field, "page": page}
    return ids.page_id(page, name, "graph")


def chart(ident, lang: str = "zh") -> dcc.Graph:
    """A chart card's graph: the page language's config, blank until its data comes."""
    return dcc.Graph(id=ident, className="gc-chart", config=theme.graph_config(lang),
                     figure=empty_figure())


def graph(page: str, name: str, field: str | None = None, lang: str = "zh") -> dcc.Graph:
    return chart(graph_id(page, name, field), lang)


def units_map(page: str, points: str | None = None, cluster: bool = False,
              lang: str = "zh") -> dl.MapContainer:
    """The map of the units below the filtered region (click to drill or pick a grid;
    draw a box or a lasso to pick grids), with an optional points layer served by URL."""
    children = [
        dl.GeoJSON(id={"type": ids.XFILTER_MAP, "name": page},
                   style={"variable": "gridcmd.map.styleRegion"},
                   onEachFeature={"variable": "gridcmd.map.bindRegion"},
                   hoverStyle={"weight": 3, "color": "#ffffff"},
                   hideout=unit_hideout(pd.DataFrame(columns=["key", "n"]), lang=lang)),
    ]
    if points:
        options = {}
        if cluster:
            options = {"cluster": True, "zoomToBoundsOnClick": True,
                       "superClusterOptions": {"radius": 50, "maxZoom": 16},
                       "clusterToLayer": {"variable": "gridcmd.map.clusterIcon"}}
        children.append(dl.GeoJSON(id=ids.page_id(page, "points", "geojson"),
                                   pointToLayer={"variable": f"gridcmd.map.{points}Point"},
                                   **options))
    children.append(dl.FeatureGroup([dl.EditControl(
        id={"type": ids.XFILTER_DRAW, "name": page}, position="topright",
        draw={"polyline": False, "circle": False, "circlemarker": False, "marker": False,
              "rectangle": {"shapeOptions": {"color": "#35d0ff"}},
              "polygon": {"shapeOptions": {"color": "#35d0ff"}}},
        edit={"edit": False, "remove": False})]))
    return dl.MapContainer(id=ids.page_id(page, "map", "container"),
                           className="gc-map gc-map-small", center=[32.2, 120.9], zoom=8,
                           zoomSnap=0.1, attributionControl=False, children=children)


def lines(rows, columns: Sequence[tuple[str, str]], empty: str = "—") -> html.Table | html.Div:
    """A small table of ``rows`` (dicts) with (key, header) ``columns``."""
    rows = list(rows)
    if not rows:
        return html.Div(empty, className="gc-empty")
    head = html.Tr([html.Th(h) for _, h in columns])
    body = [html.Tr([html.Td(r.get(k, "")) for k, _ in columns]) for r in rows]
    return html.Table([head, *body], className="gc-list-table")


# --- figures ----------------------------------------------------------------------------


def empty_figure(text: str = "") -> go.Figure:
    """A figure with no axes, saying ``text`` in its middle (nothing when empty): what a
    chart shows before its data comes, and when there is none (not plotly's empty grid)."""
    fig = go.Figure()
    if text:
        fig.add_annotation(text=text, showarrow=False, font={"color": theme.MUTED},
                           xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _layout(fig: go.Figure, **margin) -> go.Figure:
    # the house template (theme.py, the default) already sets automargin on both axes
    fig.update_layout(clickmode="event",
                      margin={"l": 8, "r": 8, "t": 6, "b": 6, **margin}, bargap=0.25)
    return fig


def bar_figure(frame: pd.DataFrame, selected: set[str], horizontal: bool = False,
               value: str = "n", text: Sequence[str] | None = None,
               color: str | Sequence[str] | None = None, hover: str = "%{x:,}",
               lang: str = "zh") -> go.Figure:
    """``value`` per ``key`` as bars labelled ``label`` (in the page's language: the
    caller names them); selected keys bright, the rest dimmed. ``customdata`` is the key,
    which a click sends back as the filter value."""
    if frame.empty:
        return empty_figure(t("analysis.no_data", lang))
    base = color or theme.SERIES[0]
    colors = [(base if isinstance(base, str) else base[i])
              if not selected or k in selected else DIM for i, k in enumerate(frame["key"])]
    labels = frame["label"] if "label" in frame else frame["key"]
    if horizontal:
        trace = go.Bar(y=labels[::-1], x=frame[value][::-1], orientation="h",
                       marker_color=colors[::-1], customdata=frame["key"][::-1],
                       text=None if text is None else list(text)[::-1],
                       hovertemplate="%{y}: " + hover + "<extra></extra>")
    else:
        trace = go.Bar(x=labels, y=frame[value], marker_color=colors, customdata=frame["key"],
                       text=None if text is None else list(text),
                       hovertemplate="%{x}: " + hover.replace("%{x", "%{y") + "<extra></extra>")
    if text is not None:
        trace.update(textposition="outside", cliponaxis=False,
                     textfont={"color": theme.TEXT})
    # a horizontal bar's label outside its end needs room right of the plot ("100.0%"):
    # plotly's automargin does not count bar texts
    return _layout(go.Figure(trace), **({"r": 52} if horizontal and text is not None else {}))


WEEKLY_AFTER = 92  # days: a longer trend is drawn per week


def every_day(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` (``key`` ISO dates) with the days between its first and last that had
    nothing filled in as 0, so a line does not jump across them; per week (Monday first,
    summed) when it spans more than :data:`WEEKLY_AFTER` days. ``span`` is the click value:
    the day, or ``first/last`` day of the week."""
    if frame.empty:
        return frame.assign(span=[])
    days = pd.date_range(min(frame["key"]), max(frame["key"]), freq="D")
    out = frame.set_index("key")[list(columns)].reindex(days.strftime("%Y-%m-%d"),
                                                        fill_value=0)
    if len(days) <= WEEKLY_AFTER:
        return out.rename_axis("key").reset_index().assign(span=lambda f: f["key"])
    out.index = days
    weeks = out.groupby(days.to_period("W-SUN")).sum()
    starts = [max(p.start_time, days[0]) for p in weeks.index]
    ends = [min(p.end_time.normalize(), days[-1]) for p in weeks.index]
    return pd.DataFrame({"key": [d.strftime("%Y-%m-%d") for d in starts],
                         **{c: weeks[c].to_numpy() for c in columns},
                         "span": [f"{a:%Y-%m-%d}/{b:%Y-%m-%d}" for a, b in
                                  zip(starts, ends, strict=True)]})


def trend_figure(frame: pd.DataFrame, series: Sequence[tuple[str, str]] = (("n", ""),),
                 clickable: bool = True, lang: str = "zh") -> go.Figure:
    """Lines per day (``key`` ISO date), or per week over a long period; ``customdata`` is
    the day or the week, so a click filters to it. ``series`` are (column, name) pairs,
    named in ``lang``."""
    if frame.empty:
        return empty_figure(t("analysis.no_data", lang))
    frame = every_day(frame, [c for c, _ in series])
    markers = len(frame) <= 62
    weekly = frame["span"].str.contains("/").any()
    fig = go.Figure()
    for i, (column, name) in enumerate(series):
        fig.add_trace(go.Scatter(
            x=frame["key"], y=frame[column], mode="lines+markers" if markers else "lines",
            name=name, customdata=frame["span"] if clickable else None,
            line={"color": theme.SERIES[(i + 1) % len(theme.SERIES)], "width": 2},
            marker={"size": 5},
            hovertemplate=f"{name} %{{x}}{t('analysis.week_of', lang) if weekly else ''}: "
                          "%{y:,}<extra></extra>"))
    fig.update_layout(showlegend=len(series) > 1,
                      legend=theme.LEGEND_ABOVE)
    first, last = pd.Timestamp(frame["key"].iloc[0]), pd.Timestamp(frame["key"].iloc[-1])
    if (last - first).days < 7:  # a few days (one, even): day ticks, not hours of one day
        fig.update_xaxes(type="date", tickformat="%m-%d", dtick=86_400_000,
                         range=[first - pd.Timedelta(hours=12), last + pd.Timedelta(hours=12)])
    return _layout(fig, l=40, b=24)


def unit_hideout(frame: pd.DataFrame, value: str = "n", better: str = "lower",
                 labels: Sequence[str] | None = None, unit: str | None = None,
                 lang: str = "zh") -> dict:
    """Map colours for ``value`` per unit (keys are the features' 12/15-digit codes); a NaN
    value (withheld, or no data) is drawn as no data but keeps its label. ``unit`` (in
    ``lang``) defaults to cases' (件, none in English)."""
    if unit is None:
        unit = t("unit.cases", lang)
    keys = [k if len(k) >= 12 else k.ljust(12, "0") for k in frame["key"]]
    values = {k: float(v) for k, v in zip(keys, frame[value], strict=True)
              if v is not None and not (isinstance(v, float) and math.isnan(v))}
    if labels is None:
        labels = [formats.count(v, lang) for v in frame[value]]
    breaks = class_breaks(list(values.values()))
    return {"values": values, "labels": dict(zip(keys, labels, strict=True)),
            "breaks": breaks, "colors": class_colors(len(breaks) + 1, better),
            "noData": theme.NO_DATA, "unit": unit, "details": {}, "selected": None}
