"""The 数据质量 page (``/quality``): how far the figures can be trusted, per region and per
import.

The analysis pages' frame (filter bar: period and region), a strip of the scope's totals
with every figure's definition (指标说明), the units map coloured by the share of records
at placeholder points, the per-region table, the flagged records per region, and, for
admins and city-level users only, the placeholder points, the import log and its
quarantine by rule. Filled by one callback (``dashboard/callbacks/quality.py``) from
``dashboard/quality_data.py``; the renderers below are pure functions of that data.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard import formats, ids
from dashboard.i18n import t
from dashboard.quality_data import DEFINITIONS, SHARES, definition, region_label
from layouts import theme
from layouts.analysis import (
    FrameData,
    card,
    chart,
    empty_figure,
    frame,
    lines,
    unit_hideout,
    units_map,
)

PAGE = "quality"
CARD_KEYS = ("records", "flagged", "ungridded", "outside", "no_deadline")
ISSUE_COLORS = {"flagged": theme.BAD, "outside": theme.WATCH, "no_deadline": theme.SERIES[0]}


def help_panel(lang: str) -> html.Details:
    """指标说明: every figure of the page with its definition."""
    items = [html.Li([html.B(definition(k, lang)[0]), html.Div(definition(k, lang)[1],
                                                              className="gc-help-line")])
             for k in DEFINITIONS]
    items.append(html.Li(t("quality.note", lang)))
    return html.Details(className="gc-help", children=[
        html.Summary(t("analysis.help", lang), id=ids.QUALITY_HELP_SUMMARY),
        html.Ul(items, className="gc-help-list"),
    ])


def layout(data: FrameData, lang: str, sees_import_log: bool = False) -> html.Div:
    """The page (its frame ``data`` and whether the user sees the import log read by
    ``dashboard.frames``); without the import log (not an admin or city-level user) its
    three cards are left out of the grid (their components stay, empty, for the one
    callback)."""
    local = "" if sees_import_log else " gc-grid-quality-local"
    strip = html.Div(className="gc-kpistrip", children=[
        html.Div(id=ids.QUALITY_CARDS_DIV, className="gc-akpis"), help_panel(lang)])
    body = html.Div(className="gc-analysis-grid gc-grid-quality" + local, children=[
        card(t("quality.map", lang), units_map(PAGE, lang=lang), "gc-area-map"),
        card(t("quality.regions", lang), html.Div(id=ids.QUALITY_REGIONS_DIV,
                                                  className="gc-case gc-scroll"), "gc-area-a"),
        card(t("quality.issues", lang), chart(ids.QUALITY_ISSUES_GRAPH, lang), "gc-area-b"),
        card(t("quality.points", lang), html.Div(id=ids.QUALITY_POINTS_DIV,
                                                 className="gc-case gc-scroll"), "gc-area-c"),
        card(t("quality.imports", lang), html.Div(id=ids.QUALITY_IMPORTS_DIV,
                                                  className="gc-case gc-scroll"), "gc-area-d"),
        card(t("quality.rules", lang), chart(ids.QUALITY_RULES_GRAPH, lang), "gc-area-e"),
    ])
    return frame(PAGE, data, lang, frozenset(), body, strip=strip)


# --- renderers (pure) -----------------------------------------------------------------------


def _pct(value: float) -> str:
    return formats.rate(value)


def cards(total: dict, lang: str) -> list:
    """The scope's totals, each with its definition on hover."""
    out = []
    for key in CARD_KEYS:
        name, text = definition(key, lang)
        share = f" · {t('quality.share', lang)} {_pct(total[f'{key}_share'])}" \
            if key in SHARES else ""
        out.append(html.Div(className="gc-akpi", title=f"{name}{t('analysis.colon', lang)}{text}",
                            id={"type": "quality-card", "key": key}, children=[
                                html.Div(name, className="gc-akpi-name"),
                                html.Div(html.Span(f"{int(total[key]):,}",
                                                   className="gc-akpi-value")),
                                html.Div(share.removeprefix(" · "), className="gc-akpi-detail"),
                            ]))
    return out


def region_table(table: pd.DataFrame, lang: str):
    """The per-region table: counts with their shares, the scope's total last."""
    if table.empty or not table["records"].sum() + table["outside"].sum():
        return html.Div(t("quality.no_regions", lang), className="gc-empty")
    cols = [("name", t("quality.col.region", lang))]
    cols += [(k, definition(k, lang)[0]) for k in ("records", "flagged", "placed", "unplaced",
                                                    "ungridded", "outside", "no_deadline")]
    rows = []
    for r in table.to_dict("records"):
        label = region_label(r, lang)
        row = {"name": html.B(label) if r["total"] else label}
        for key in ("records", "placed", "unplaced"):
            row[key] = f"{r[key]:,}"
        for key in SHARES:
            row[key] = f"{r[key]:,} ({_pct(r[f'{key}_share'])})"
        rows.append(row)
    return lines(rows, cols)


def issues_figure(table: pd.DataFrame, lang: str) -> go.Figure:
    """Records at placeholder points, outside every grid and without a deadline per unit
    (the 12 units with most), side by side: the three can overlap, so they are not
    stacked."""
    units = table[~table["total"]].copy()
    units["issues"] = units[list(ISSUE_COLORS)].max(axis=1)
    units = units[units["issues"] > 0].sort_values("issues", ascending=False).head(12)
    if units.empty:
        return empty_figure(t("analysis.no_data", lang))
    labels = [region_label(r, lang) for r in units.to_dict("records")]
    fig = go.Figure()
    for key, color in ISSUE_COLORS.items():
        fig.add_trace(go.Bar(y=labels[::-1], x=units[key][::-1], orientation="h",
                             name=definition(key, lang)[0], marker_color=color,
                             hovertemplate="%{y}: %{x:,}<extra>" + definition(key, lang)[0]
                                           + "</extra>"))
    fig.update_layout(barmode="group",
                      margin={"l": 8, "r": 8, "t": 6, "b": 6},
                      legend=theme.LEGEND_ABOVE)
    fig.update_yaxes(automargin=True)
    return fig


def map_hideout(table: pd.DataFrame, prefix: str) -> dict:
    """Map colours: the share of each unit's records at placeholder points."""
    units = table[~table["total"] & (table["key"].str.len() > len(prefix))]
    frame_ = pd.DataFrame({"key": units["key"], "v": 100 * units["flagged_share"]})
    return unit_hideout(frame_, value="v", labels=[_pct(v) for v in units["flagged_share"]],
                        unit="%")


def points_list(imports, lang: str):
    if imports is None:
        return html.Div(t("quality.citywide", lang), className="gc-empty")
    pts = imports.points
    if pts.empty:
        return html.Div(t("quality.no_points", lang), className="gc-empty")
    rows = [{"point": f"{r['lon']:.5f}, {r['lat']:.5f}",
             "reason": t(f"quality.reason.{r['reason']}", lang),
             "file": r["source_file"], "rows": f"{int(r['rows']):,}",
             "placed": f"{int(r['placed']):,}", "unplaced": f"{int(r['unplaced']):,}"}
            for r in pts.to_dict("records")]
    return lines(rows, (("point", t("quality.col.point", lang)),
                        ("reason", t("quality.col.reason", lang)),
                        ("file", t("quality.col.file", lang)),
                        ("rows", t("quality.col.rows", lang)),
                        ("placed", definition("placed", lang)[0]),
                        ("unplaced", definition("unplaced", lang)[0])))


def imports_list(imports, lang: str):
    if imports is None:
        return html.Div(t("quality.citywide", lang), className="gc-empty")
    if imports.files.empty:
        return html.Div(t("quality.no_imports", lang), className="gc-empty")
    rows = []
    for r in imports.files.to_dict("records"):
        tz = str(r["tz_assumed"] or "–")
        if r["tz_naive_values"] is not None and not pd.isna(r["tz_naive_values"]):
            tz += f"（{int(r['tz_naive_values']):,} / {int(r['tz_offset_values']):,}）"
        rows.append({
            "file": r["source_file"], "kind": r["kind"],
            "imported": pd.Timestamp(r["started_at"]).strftime("%Y-%m-%d %H:%M"),
            "rows_in": formats.count(int(r["rows_in"]), lang),
            "loaded": formats.count(int(r["loaded"]), lang),
            "quarantined": formats.count(int(r["quarantined"]), lang),
            "outside": formats.count(int(r["outside_grid"]), lang),
            "flagged": formats.count(int(r["placeholder_rows"]), lang),
            "no_deadline": formats.count(int(r["no_deadline"]), lang), "tz": tz})
    return lines(rows, (("file", t("quality.col.file", lang)),
                        ("kind", t("quality.col.kind", lang)),
                        ("imported", t("quality.col.imported", lang)),
                        ("rows_in", t("quality.col.rows_in", lang)),
                        ("loaded", t("quality.col.loaded", lang)),
                        ("quarantined", definition("quarantined", lang)[0]),
                        ("outside", definition("outside", lang)[0]),
                        ("flagged", definition("flagged", lang)[0]),
                        ("no_deadline", definition("no_deadline", lang)[0]),
                        ("tz", definition("timezone", lang)[0])))


def rules_figure(imports, lang: str) -> go.Figure:
    if imports is None:
        return empty_figure(t("quality.citywide", lang))
    rules = imports.rules.groupby("rule", as_index=False)["n"].sum() \
        if len(imports.rules) else imports.rules
    if rules.empty:
        return empty_figure(t("quality.no_rules", lang))
    rules = rules.sort_values("n", ascending=False).head(15)
    fig = go.Figure(go.Bar(y=rules["rule"][::-1], x=rules["n"][::-1], orientation="h",
                           marker_color=theme.BAD, text=[f"{n:,}" for n in rules["n"][::-1]],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: %{x:,}<extra></extra>"))
    fig.update_layout(margin={"l": 8, "r": 24, "t": 6, "b": 6})
    fig.update_yaxes(automargin=True)
    return fig
