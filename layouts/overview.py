"""指挥总览: the city map coloured by recent cases per county-level region, and a ranking.

The layout is static; one callback fills it. The map's polygons come by URL (set by that
callback, since only the server knows the city), their colours from ``hideout`` through
``window.gridcmd.map.styleRegion`` in ``assets/gridcmd_map.js``. The helpers here are pure
functions of plain values, so the callback stays thin and tests can call them directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import dash_leaflet as dl
from dash import dcc, html

from dashboard import ids

WINDOW_DAYS = 30
UNIT = "件"
# Sequential ramp from cool to hot, legible on the dark base: low counts recede, high
# counts stand out. Fewer classes take evenly spaced colours so neighbours stay distinct.
PALETTE = ("#16507e", "#1f86b8", "#35c0c9", "#f2b441", "#ee5b3f")
NO_DATA_COLOR = "#2a3444"
# Until the first callback fits the map to the configured city, it shows China as a whole.
INITIAL_CENTER = (34.5, 108.0)
INITIAL_ZOOM = 5


def format_count(n: int | float) -> str:
    """Format a count the Chinese way: ``9,876`` below ten thousand, then ``1.2万``, ``3.4亿``.

    A command screen is read from across a room; five-digit numbers in 万 are quicker to
    compare than long digit strings, and small numbers stay exact.
    """
    n = int(n)
    if abs(n) < 10_000:
        return f"{n:,}"
    if abs(n) < 100_000_000:
        return f"{n / 10_000:,.1f}万"
    return f"{n / 100_000_000:,.2f}亿"


def format_share(part: int, total: int) -> str:
    """Share of the total as ``12.3%`` (``–`` when there is nothing to share)."""
    return f"{100 * part / total:.1f}%" if total else "–"


def _nice(x: float) -> int:
    """Round to two significant digits, so legend bounds read as round numbers."""
    if x < 100:
        return int(math.floor(x + 0.5))
    scale = 10 ** (int(math.floor(math.log10(x))) - 1)
    return int(math.floor(x / scale + 0.5) * scale)


def class_breaks(values: Sequence[int], k: int = len(PALETTE)) -> list[int]:
    """Lower bounds of the colour classes above the first, from quantiles of ``values``.

    Quantiles rather than equal intervals: with a handful of regions of very different
    size, equal intervals put almost every region in one colour. Bounds are rounded to two
    significant digits for a readable legend; duplicates collapse, so a flat distribution
    gives fewer classes rather than empty ones.

    Parameters
    ----------
    values : sequence of int
        The counts to classify.
    k : int
        Wanted number of classes (at most).

    Returns
    -------
    list of int
        Strictly increasing bounds ``b`` with ``min(values) < b <= max(values)``; a value
        ``v`` falls in class ``sum(v >= b for b in bounds)``.
    """
    vals = sorted(int(v) for v in values)
    if len(vals) < 2 or vals[0] == vals[-1]:
        return []
    lo, hi = vals[0], vals[-1]
    bounds = set()
    for i in range(1, k):
        q = vals[min(len(vals) - 1, math.ceil(i * len(vals) / k))]
        b = _nice(q)
        if lo < b <= hi:
            bounds.add(b)
    if not bounds:
        bounds.add((lo + hi + 1) // 2)
    return sorted(bounds)


def class_colors(n_classes: int) -> list[str]:
    """``n_classes`` colours spread evenly over the palette, low to high."""
    if n_classes <= 1:
        return [PALETTE[len(PALETTE) // 2]]
    last = len(PALETTE) - 1
    return [PALETTE[round(i * last / (n_classes - 1))] for i in range(n_classes)]


def color_of(value: int, breaks: Sequence[int], colors: Sequence[str]) -> str:
    """The fill colour of ``value``; the same rule ``styleRegion`` applies in the browser."""
    return colors[sum(value >= b for b in breaks)]


def choropleth(counts: Mapping[str, int]) -> dict:
    """The ``hideout`` of the region layer: values, their labels, class bounds and colours.

    Labels are formatted here, once, so the map and the ranking can never disagree.
    """
    breaks = class_breaks(list(counts.values()))
    return {
        "values": {code: int(n) for code, n in counts.items()},
        "labels": {code: format_count(n) for code, n in counts.items()},
        "breaks": breaks,
        "colors": class_colors(len(breaks) + 1),
        "noData": NO_DATA_COLOR,
        "unit": UNIT,
    }


def legend(hideout: Mapping) -> list:
    """Legend rows for the colour classes of ``hideout`` (highest first, as maps read)."""
    breaks, colors = list(hideout["breaks"]), list(hideout["colors"])
    if not breaks:
        rows = [(colors[0], "全部相同")]
    else:
        labels = [f"< {format_count(breaks[0])}"]
        labels += [
            f"{format_count(a)} – {format_count(b - 1)}"
            for a, b in zip(breaks, breaks[1:], strict=False)
        ]
        labels.append(f"≥ {format_count(breaks[-1])}")
        rows = list(zip(colors, labels, strict=True))
    return [
        html.Div(f"事件量（{hideout.get('unit', UNIT)}）", className="gc-legend-title"),
        *[
            html.Div(
                className="gc-legend-row",
                children=[
                    html.Span(className="gc-legend-swatch", style={"background": color}),
                    html.Span(label, className="gc-legend-label"),
                ],
            )
            for color, label in reversed(rows)
        ],
    ]


def ranking(rows: Sequence[Mapping], hideout: Mapping) -> list:
    """The ranking list: one row per region, highest count first, with a share bar.

    Parameters
    ----------
    rows : sequence of mapping
        ``code``, ``name`` and ``incidents``, already ordered.
    hideout : mapping
        The map's ``hideout`` from :func:`choropleth`, so each bar wears its map colour.
    """
    total = sum(int(r["incidents"]) for r in rows)
    top = max((int(r["incidents"]) for r in rows), default=0)
    items = []
    for rank, row in enumerate(rows, start=1):
        n = int(row["incidents"])
        color = color_of(n, hideout["breaks"], hideout["colors"])
        items.append(
            html.Li(
                className="gc-rank-row" + (" gc-rank-top" if rank <= 3 else ""),
                title=f"{row['name']}：{n:,} {UNIT}",
                **{"data-code": row["code"], "data-count": str(n)},
                children=[
                    html.Span(str(rank), className="gc-rank-no"),
                    html.Div(
                        className="gc-rank-body",
                        children=[
                            html.Div(
                                className="gc-rank-line",
                                children=[
                                    html.Span(row["name"], className="gc-rank-name"),
                                    html.Span(format_count(n), className="gc-rank-value"),
                                    html.Span(format_share(n, total), className="gc-rank-share"),
                                ],
                            ),
                            html.Div(
                                className="gc-rank-track",
                                children=html.Div(
                                    className="gc-rank-bar",
                                    style={
                                        "width": f"{100 * n / top:.1f}%" if top else "0%",
                                        "background": color,
                                    },
                                ),
                            ),
                        ],
                    ),
                ],
            )
        )
    return items


def _stat(label: str, value_id: str, unit: str = "") -> html.Div:
    return html.Div(
        className="gc-stat",
        children=[
            html.Div(label, className="gc-stat-label"),
            html.Div(
                className="gc-stat-line",
                children=[
                    html.Span("–", id=value_id, className="gc-stat-value"),
                    html.Span(unit, className="gc-stat-unit"),
                ],
            ),
        ],
    )


def layout(**query) -> html.Div:
    """Return the overview page; ``query`` (URL query parameters) is accepted and unused.

    The map starts without a base layer and without polygons: the callback adds the
    configured intranet tiles, if any, and the layer URL of the configured city, because a
    layout is a pure function and does not see settings.
    """
    return html.Div(
        className="gc-page gc-overview",
        children=[
            html.Section(
                className="gc-map-panel",
                children=[
                    dl.MapContainer(
                        id=ids.OVERVIEW_MAP,
                        className="gc-map",
                        center=list(INITIAL_CENTER),
                        zoom=INITIAL_ZOOM,
                        zoomSnap=0.1,
                        zoomDelta=0.5,
                        attributionControl=False,
                        zoomControl=False,
                        children=[
                            dl.ZoomControl(position="bottomright"),
                            dl.LayerGroup(id=ids.OVERVIEW_BASE_LAYERGROUP, children=[]),
                            dl.GeoJSON(
                                id=ids.OVERVIEW_REGIONS_GEOJSON,
                                style={"variable": "gridcmd.map.styleRegion"},
                                onEachFeature={"variable": "gridcmd.map.labelRegion"},
                                hoverStyle={"weight": 3, "color": "#ffffff", "fillOpacity": 0.92},
                                hideout=choropleth({}),
                            ),
                        ],
                    ),
                    html.Div(
                        className="gc-map-title",
                        children=[
                            html.H1("–", id=ids.OVERVIEW_TITLE_TEXT),
                            html.Div("–", id=ids.OVERVIEW_PERIOD_TEXT, className="gc-map-subtitle"),
                        ],
                    ),
                    html.Div(id=ids.OVERVIEW_LEGEND_DIV, className="gc-legend"),
                ],
            ),
            html.Aside(
                className="gc-side",
                children=[
                    html.Div(
                        className="gc-card gc-stats",
                        children=[
                            _stat(f"近{WINDOW_DAYS}天事件", ids.OVERVIEW_TOTAL_VALUE, UNIT),
                            _stat("日均上报", ids.OVERVIEW_DAILY_VALUE, UNIT),
                            _stat("事件最多", ids.OVERVIEW_TOP_VALUE),
                        ],
                    ),
                    html.Div(
                        className="gc-card gc-ranking",
                        children=[
                            html.Div(
                                className="gc-card-head",
                                children=[
                                    html.H2("区县事件量排名"),
                                    html.Span(
                                        f"近{WINDOW_DAYS}天 · 不含作废", className="gc-card-note"
                                    ),
                                ],
                            ),
                            html.Ol(id=ids.OVERVIEW_RANKING_LIST, className="gc-rank-list"),
                        ],
                    ),
                    html.Div(id=ids.OVERVIEW_ASOF_TEXT, className="gc-asof"),
                ],
            ),
            dcc.Interval(id=ids.OVERVIEW_REFRESH_INTERVAL, interval=60_000),
        ],
    )
