"""The thematic analysis pages: 隐患, 重点人群, 时效, 满意度, 四级联动, 物联预警.

Each page is one :class:`Page` description — its filter fields, KPI strip, map, panels
and a ``render`` function from the page's data (``dashboard/thematic_data.py``) to the
panels' figures and children. The layout and the one callback of every page are generated
from it (``dashboard/callbacks/analysis.py``), so the pages cannot drift apart in how they
filter, cross-filter, explain their KPIs or guard their data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard import formats, taxonomy
from dashboard.filters import Filters
from dashboard.foresight import explain
from dashboard.i18n import t, value, values
from dashboard.kpi.registry import foresight_kpi
from dashboard.taxonomy import relabel
from layouts import theme
from layouts.analysis import (
    FrameData,
    bar_figure,
    card,
    empty_figure,
    frame,
    graph,
    graph_id,
    lines,
    trend_figure,
    unit_hideout,
    units_map,
)
from layouts.filterbar import INCIDENT_FIELDS

TIER_NAMES = taxonomy.tier_names()  # Chinese; a page in another language: tier_names(lang)
TIER_ORDER = ("village", "town", "county", "city")
RISK_COLORS = {"一般": "#ffd60a", "较大": "#f2994a", "重大": "#ee5b3f"}
STATE_COLORS = {"按期整改": theme.GOOD, "超期整改": theme.WATCH, "整改中": theme.SERIES[0],
                "逾期未整改": theme.BAD}
RATING_COLORS = {"满意": theme.GOOD, "基本满意": theme.SERIES[0], "不满意": theme.BAD,
                 "未参评": theme.MUTED}
LIGHT_ORDER = ("正常", "临期", "超期", "按期办结", "超期办结", "无时限", "未立案")
LIGHT_COLORS = {"正常": theme.GOOD, "临期": theme.WATCH, "超期": theme.BAD,
                "按期办结": "#2a8f6a", "超期办结": "#a34a3a", "无时限": theme.SERIES[4],
                "未立案": theme.MUTED}
DURATION_ORDER = ("response", "handle", "close")


@dataclass(frozen=True)
class Panel:
    """One card of a page: a chart (``graph``; ``field`` makes a click filter) or a list
    (``div``). ``title`` and ``note`` are message keys (``dashboard/i18n.py``)."""

    name: str
    title: str
    area: str
    kind: str = "graph"
    field: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Page:
    """An analysis page, from which its layout and callback are generated. ``title``,
    ``map_title`` and ``notes`` are message keys (``dashboard/i18n.py``); ``render`` and
    ``total`` take the page's language."""

    key: str
    path: str
    title: str
    fields: frozenset[str]
    kpis: tuple[str, ...]
    panels: tuple[Panel, ...]
    render: Callable[[dict, Filters, str], dict]
    total: Callable[[dict, str], str]
    map_title: str | None = None
    points: str | None = None  # point layer served by /api/points/<layer>.geojson
    cluster: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def panel_output(self, panel: Panel):
        """(component id, property) a panel's content goes to."""
        if panel.kind == "graph":
            return graph_id(self.key, panel.name, panel.field), "figure"
        return f"{self.key}-{panel.name}-div", "children"

    def layout(self, data: FrameData, lang: str) -> html.Div:
        """The page for the frame ``data`` read by ``dashboard.frames`` per page load."""
        cards = []
        if self.map_title:
            cards.append(card(t(self.map_title, lang),
                              units_map(self.key, self.points, self.cluster, lang),
                              "gc-area-map"))
        for p in self.panels:
            body = (graph(self.key, p.name, p.field, lang) if p.kind == "graph" else
                    html.Div(id=self.panel_output(p)[0], className="gc-case gc-scroll"))
            cards.append(card(t(p.title, lang), body, f"gc-area-{p.area}",
                              t(p.note, lang) if p.note else None))
        body = html.Div(cards, className=f"gc-analysis-grid gc-grid-{self.key}")
        return frame(self.key, data, lang, self.fields, body, kpis=self.kpis,
                     notes=[t(n, lang) for n in self.notes])


def _pct(num, den) -> float:
    return float(num) / float(den) if den else math.nan


def _pct_text(value: float) -> str:
    return formats.rate(value)


def _count_text(n) -> str:
    """A total in a page's headline: exact (a reader checks it against lists), a
    suppressed small count ("<5", "*") as it is, or "—" when there is none."""
    if n is None:
        return "—"
    return n if isinstance(n, str) else formats.exact(n)


def _with_share(frame_: pd.DataFrame, num: str, den: str) -> pd.DataFrame:
    out = frame_.copy()
    out["share"] = [_pct(a, b) for a, b in zip(out[num], out[den], strict=True)]
    return out


def _rate_bars(frame_: pd.DataFrame, num: str, den: str, selected=(), horizontal=True,
               limit: int | None = None, lang: str = "zh") -> go.Figure:
    """A rate per key as bars (the share in %, n behind it in the hover)."""
    if frame_.empty:
        return empty_figure(t("analysis.no_data", lang))
    f = _with_share(frame_, num, den)
    if limit:
        f = f.head(limit)
    f = f.assign(pct=100 * f["share"])
    return bar_figure(f, set(selected), horizontal=horizontal, value="pct",
                      text=[_pct_text(v) for v in f["share"]], hover="%{x:.1f}%", lang=lang)


# --- 隐患 -----------------------------------------------------------------------------------


def _hazards(d: dict, filters: Filters, lang: str) -> dict:
    days = d["day"][["key", "n"]].merge(
        d["rectified_day"][["key", "n"]].rename(columns={"n": "rectified"}), on="key",
        how="outer").fillna(0).sort_values("key")
    state = d["state"][["key", "n"]].set_index("key").reindex(list(STATE_COLORS))
    state = state.fillna(0).reset_index()
    risk = d["risk"][["key", "n"]].set_index("key").reindex(list(RISK_COLORS)).dropna()
    risk = risk.reset_index().assign(label=lambda f: values("risk", f["key"], lang))
    state = state.assign(label=values("hstate", state["key"], lang))
    vocab = d.get("vocab")
    overdue = [{"no": r.hazard_no,
                "what": f"{vocab.label('hazard_type', r.type, lang) if vocab else r.type} · "
                        f"{value('risk', r.risk_level, lang)}",
                "where": f"{r.village} · {value('place', r.grid, lang)}",
                "dept": r.department or "—",
                "over": t("hazards.days_over", lang, n=f"{r.days_over:.0f}")}
               for r in d["overdue_list"].itertuples()]
    return {
        "map": unit_hideout(d["unit"], unit=t("unit.hazards", lang), lang=lang),
        "type": bar_figure(relabel(d["type"].sort_values("n", ascending=False),
                                   d.get("vocab"), "hazard_type", lang),
                           set(filters.hazard_types), horizontal=True, lang=lang),
        "risk": bar_figure(risk, set(filters.risks),
                           color=[RISK_COLORS[k] for k in risk["key"]], lang=lang),
        "state": bar_figure(state, set(), color=[STATE_COLORS[k] for k in state["key"]],
                            text=[formats.count(n, lang) for n in state["n"]], lang=lang),
        "trend": trend_figure(days, (("n", t("hazards.series.found", lang)),
                                     ("rectified", t("hazards.series.rectified", lang))),
                              lang=lang),
        "overdue": lines(overdue, [(k, t(f"hazards.col.{k}", lang))
                                   for k in ("no", "what", "where", "dept", "over")],
                         empty=t("hazards.none_overdue", lang)),
    }


HAZARDS = Page(
    key="hazards", path="/hazards", title="nav.hazards", fields=frozenset({"htype", "risk"}),
    kpis=("hazards", "major_hazards", "open_hazards", "hazard_rectify_rate",
          "hazard_ontime_rate"),
    map_title="hazards.map", points="hazard",
    panels=(Panel("type", "hazards.panel.type", "a", field="htype"),
            Panel("risk", "hazards.panel.risk", "b", field="risk"),
            Panel("state", "hazards.panel.state", "c"),
            Panel("trend", "hazards.panel.trend", "d", field="day"),
            Panel("overdue", "hazards.panel.overdue", "e", kind="div")),
    render=_hazards, total=lambda d, lang: t("hazards.total", lang, n=f"{d['total']:,}"),
    notes=("hazards.note",),
)


# --- 重点人群 ----------------------------------------------------------------------------------


def _persons(d: dict, filters: Filters, lang: str) -> dict:
    unit = d["unit"]
    labels = [n if isinstance(n, str) else formats.count(n, lang) for n in unit["persons"]]
    hideout = unit_hideout(unit.assign(v=unit["per_10k"]), value="v", labels=labels, lang=lang,
                           unit=t("unit.key_persons", lang))
    cat = d["category"]
    visits = _with_share(cat, "ontime", "due")
    table = []
    for key, group in d["unit_category"].groupby("key", sort=True):
        counts = dict(zip(group["key2"], group["persons"], strict=True))
        table.append({"unit": d["unit_names"].get(key, key),
                      **{c: counts.get(c, 0) for c in cat["key"][:6]}})
    people = d.get("people")
    vocab = d.get("vocab")
    if people is None:
        person_panel = html.Div(t("persons.cleared_only", lang), className="gc-empty")
    else:
        person_panel = lines(
            [{"name": p["name"],
              "category": vocab.label("key_person_category", p["category"], lang)
              if vocab else p["category"],
              "risk": value("person_risk", p["risk_level"], lang),
              "grid": p["grid_name"], "phone": p["phone"], "missed": p["missed"],
              "last": p["last_visit"].strftime("%m-%d") if p["last_visit"] is not None
              else "—"} for p in people],
            [(k, t(f"persons.col.{k}", lang))
             for k in ("name", "category", "risk", "grid", "phone", "missed", "last")],
            empty=t("persons.none", lang))
    counts = [n if isinstance(n, str) else formats.count(n, lang) for n in cat["persons"]]
    numeric = [0 if isinstance(n, str) else n for n in cat["persons"]]
    return {
        "map": hideout,
        "category": bar_figure(relabel(cat.assign(n=numeric), d.get("vocab"),
                                       "key_person_category", lang),
                               set(filters.person_categories), horizontal=True, text=counts,
                               lang=lang),
        "visits": _rate_bars(relabel(visits.assign(label=visits["key"]), d.get("vocab"),
                                     "key_person_category", lang), "ontime", "due", lang=lang),
        "units": lines(table, (("unit", t("persons.col.unit", lang)), *(
            (c, d["vocab"].label("key_person_category", c, lang) if d.get("vocab") else c)
            for c in cat["key"][:6])),
                       empty=t("analysis.no_data", lang)),
        "people": person_panel,
    }


PERSONS = Page(
    key="persons", path="/persons", title="nav.persons", fields=frozenset({"pcat"}),
    kpis=("key_persons", "visit_rate"),
    map_title="persons.map",
    panels=(Panel("category", "persons.panel.category", "a", field="pcat"),
            Panel("visits", "persons.panel.visits", "b"),
            Panel("units", "persons.panel.units", "c", kind="div",
                  note="persons.panel.units.note"),
            Panel("people", "persons.panel.people", "d", kind="div")),
    render=_persons,
    total=lambda d, lang: t("persons.total", lang, n=_count_text(d["total"]),
                            due=_count_text(d["due"]), missed=_count_text(d["missed"])),
    notes=("persons.note",),
)


# --- 时效 -------------------------------------------------------------------------------------


def _funnel(stages: pd.DataFrame, lang: str = "zh") -> go.Figure:
    if stages.empty or not stages["reached"].any():
        return empty_figure(t("analysis.no_data", lang))
    text = []
    for r in stages.itertuples():
        took = ("" if pd.isna(r.median_hours)
                else t("timeliness.median", lang, value=formats.duration(r.median_hours, lang)))
        text.append(f"{formats.count(r.reached, lang)}{took}")
    fig = go.Figure(go.Funnel(
        y=values("stage", stages["stage"], lang), x=stages["reached"], text=text,
        textinfo="text", marker={"color": list(theme.SERIES[:1]) * len(stages)},
        customdata=stages[["mean_hours", "p90_hours"]].to_numpy(),
        hovertemplate="%{y}: %{x:,}<br>" + t("timeliness.funnel.hover", lang)
                      + "<extra></extra>"))
    fig.update_layout(margin={"l": 8, "r": 8, "t": 6, "b": 6})
    fig.update_yaxes(automargin=True)
    return fig


def _boxes(frame_: pd.DataFrame, names: dict | None = None, limit: int | None = None,
           lang: str = "zh"):
    """Handling-hour distributions from precomputed quantiles (P10–P90 whiskers)."""
    if frame_.empty:
        return empty_figure(t("analysis.no_data", lang))
    f = frame_.head(limit) if limit else frame_
    labels = [names.get(k, k) if names else lab for k, lab in zip(f["key"], f["label"],
                                                                   strict=True)]
    fig = go.Figure(go.Box(
        x=labels, q1=f["p25"], median=f["p50"], q3=f["p75"], lowerfence=f["p10"],
        upperfence=f["p90"], mean=f["mean_hours"], marker_color=theme.SERIES[0],
        boxpoints=False, hoverinfo="y"))
    fig.update_layout(margin={"l": 40, "r": 8, "t": 6, "b": 6},
                      yaxis_title=t("unit.hours_long", lang))
    fig.update_xaxes(automargin=True)
    return fig


def _durations(frame_: pd.DataFrame, lang: str):
    """The three case durations of the page's cases with the KPIs' per-case definitions:
    rows, mean, median and P90 side by side."""
    rows = []
    by_key = frame_.set_index("key") if not frame_.empty else frame_
    for key in DURATION_ORDER:
        if key not in by_key.index:
            continue
        r = by_key.loc[key]
        rows.append({"what": t(f"duration.{key}", lang), "n": formats.count(r["n"], lang),
                     "mean": formats.duration(r["mean_hours"], lang),
                     "median": formats.duration(r["p50"], lang),
                     "p90": formats.duration(r["p90"], lang)})
    return lines(rows, [(k, t(f"timeliness.col.{k}", lang))
                        for k in ("what", "n", "mean", "median", "p90")],
                 empty=t("analysis.no_data", lang))


RISK_NOTE = t("risk.page_note")
RISK_KPI = foresight_kpi("risk_cases")
STAGE_LABELS = {"registered": "待派遣", "dispatched": "处置中", "handled": "待核查",
                "verified": "待结案"}  # Chinese; any language: value("stage_now", stage, lang)


def risk_panel(risk: dict | None, lang: str, vocab=None) -> list:
    """即将超期风险: 风险案件数, the stored queue (probability, deadline, stage, reasons)."""
    if not risk or not risk.get("ever_scored"):  # never scored (risk["scored"] is a count)
        return [html.Div(t("risk.none", lang), className="gc-empty")]
    rows = risk["rows"]
    asof = pd.Timestamp(risk["asof_at"])
    name = RISK_KPI.name_zh if lang == "zh" else RISK_KPI.name_en
    hover = (f"{RISK_KPI.formula}：{RISK_KPI.numerator}" if lang == "zh"
             else RISK_KPI.definition)
    head = html.Div(className="gc-risk-head", children=[
        html.Span(t("risk.count", lang, name=name, n=formats.exact(risk["at_risk"])),
                  className="gc-risk-count", title=hover),
        html.Span(t("risk.meta", lang, scored=formats.exact(risk["scored"]),
                    p=f"{risk['threshold']:.0%}", at=f"{asof:%m-%d %H:%M}",
                    model=risk["model_version"]), className="gc-risk-meta")])
    watch = risk.get("watch")
    if len(rows):
        table = _risk_table(rows, "gc-risk-row", lang, vocab)
    elif watch is not None and len(watch):
        # nothing at the threshold: the cases nearest to it, marked as below it
        table = html.Div([
            html.Div(t("risk.nothing", lang, n=len(watch)), className="gc-empty"),
            _risk_table(watch, "gc-risk-watch-row", lang, vocab)])
    else:
        table = html.Div(t("risk.none_at", lang), className="gc-empty")
    return [head, table, html.Details([html.Summary(t("analysis.help", lang)),
                                       html.P(t("risk.page_note", lang))],
                                      className="gc-help")]


def _risk_table(rows: pd.DataFrame, row_class: str, lang: str, vocab=None) -> html.Table:
    cols = [(k, t(f"risk.col.{k}", lang))
            for k in ("p", "case", "what", "stage", "deadline", "left")]
    body = [html.Tr([html.Th(h) for _, h in cols])]
    for r in rows.itertuples():
        cells = {"p": f"{r.probability:.0%}", "case": r.case_no,
                 "what": (r.minor_name or r.category_code or "") if lang == "zh" or
                 vocab is None else vocab.label("category", r.category_code, lang),
                 "stage": value("stage_now", r.stage, lang),
                 "deadline": f"{pd.Timestamp(r.deadline_at):%m-%d %H:%M}",
                 "left": formats.duration(r.remaining_hours, lang)}
        body.append(html.Tr([html.Td(cells[k]) for k, _ in cols], className=row_class))
        # the reasons on a line of their own under the case, wrapped to the panel
        why = explain.stored_reasons("risk", getattr(r, "reason_parts", None), r.reasons, lang)
        body.append(html.Tr(html.Td(why, colSpan=len(cols)), className="gc-risk-why"))
    return html.Table(body, className="gc-list-table gc-risk-table")


def _timeliness(d: dict, filters: Filters, lang: str) -> dict:
    light = d["light"][["key", "n"]].set_index("key").reindex(list(LIGHT_ORDER)).dropna()
    light = light.reset_index()
    week = d["week"].sort_values("key")
    trend = _with_share(week, "ontime", "n_dl")  # 无时限 cases are neither on time nor late
    fig = go.Figure()
    fig.add_trace(go.Bar(x=trend["key"], y=trend["n"], name=t("timeliness.series.closed", lang),
                         marker_color="rgba(53,208,255,0.35)", yaxis="y2",
                         hovertemplate="%{x}: " + t("timeliness.hover.closed", lang)
                                       + " %{y:,}<extra></extra>"))
    fig.add_trace(go.Scatter(x=trend["key"], y=100 * trend["share"],
                             name=t("timeliness.series.ontime", lang),
                             mode="lines+markers", line={"color": theme.SERIES[2]},
                             hovertemplate="%{x}: " + t("timeliness.hover.ontime", lang)
                                           + " %{y:.1f}%<extra></extra>"))
    # the counts' axis takes its own round ticks from zero (plotly.js otherwise syncs them
    # to the rate axis's gridlines: 27.5, 54.9 ... cases), and the weeks are written as
    # month-day, which reads the same in both languages (not "Nov 15")
    fig.update_layout(margin={"l": 40, "r": 40, "t": 6, "b": 24},
                      yaxis={"title": "%", "range": [0, 105]},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                              "tickmode": "auto", "nticks": 5, "rangemode": "tozero",
                              "tickformat": ",d"},
                      xaxis={"type": "date", "tickformat": "%m-%d"},
                      legend=theme.LEGEND_ABOVE)
    major = d["major"].sort_values("mean_hours", ascending=False)
    light = light.assign(label=values("light", light["key"], lang))
    return {
        "durations": _durations(d["duration"], lang),
        "funnel": _funnel(d["stages"], lang),
        "lights": bar_figure(light, set(), color=[LIGHT_COLORS[k] for k in light["key"]],
                             text=[formats.count(n, lang) for n in light["n"]], lang=lang),
        "tier": _boxes(d["tier"].set_index("key").reindex(
            [k for k in TIER_ORDER if k in set(d["tier"]["key"])]).reset_index(),
            names=taxonomy.tier_names(lang), lang=lang),
        "major": bar_figure(relabel(major.assign(v=major["mean_hours"]), d.get("vocab"),
                                    "category_major", lang), set(filters.majors),
                            horizontal=True, value="v",
                            hover=t("timeliness.hours_hover", lang), lang=lang),
        "department": bar_figure(_placed(d["department"].head(12).assign(
            v=d["department"]["mean_hours"].head(12)), lang), set(), horizontal=True,
            value="v", hover=t("timeliness.hours_hover", lang), lang=lang),
        "ontime": fig if not week.empty else empty_figure(t("analysis.no_data", lang)),
        "risk": risk_panel(d.get("risk"), lang, d.get("vocab")),
    }


def _placed(frame_: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame_`` with its placeholder labels (``（未指定）``: no department) in ``lang``."""
    if lang == "zh" or frame_.empty or "label" not in frame_:
        return frame_
    return frame_.assign(label=values("place", frame_["label"], lang))


TIMELINESS = Page(
    key="timeliness", path="/timeliness", title="nav.timeliness", fields=INCIDENT_FIELDS,
    kpis=("avg_response_hours", "avg_handle_hours", "avg_close_hours", "ontime_rate", "overdue",
          "rework_rate"),
    panels=(Panel("durations", "timeliness.panel.durations", "g", kind="div"),
            Panel("funnel", "timeliness.panel.funnel", "a"),
            Panel("lights", "timeliness.panel.lights", "b"),
            Panel("tier", "timeliness.panel.tier", "c"),
            Panel("major", "timeliness.panel.major", "d", field="major"),
            Panel("department", "timeliness.panel.department", "e"),
            Panel("ontime", "timeliness.panel.ontime", "f"),
            Panel("risk", "timeliness.panel.risk", "h", kind="div",
                  note="timeliness.panel.risk.note")),
    render=_timeliness,
    total=lambda d, lang: t("timeliness.total", lang,
                            n=f"{int(d['stages']['reached'].iloc[0]):,}")
    if not d["stages"].empty else "",
    notes=("timeliness.note",),
)


# --- 满意度 -----------------------------------------------------------------------------------


def _satisfaction(d: dict, filters: Filters, lang: str) -> dict:
    month = _with_share(d["month"].sort_values("key"), "satisfied", "rated")
    month["part"] = [_pct(a, b) for a, b in zip(month["rated"], month["surveys"], strict=True)]
    fig = go.Figure()
    rate, part = t("satisfaction.series.rate", lang), t("satisfaction.series.rated", lang)
    area = t("satisfaction.series.area", lang)
    fig.add_trace(go.Scatter(x=month["key"], y=100 * month["share"], name=rate,
                             mode="lines+markers", line={"color": theme.SERIES[2]},
                             hovertemplate=f"%{{x|%Y-%m}}: {rate} %{{y:.1f}}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=month["key"], y=100 * month["part"], name=part,
                             mode="lines+markers", line={"color": theme.SERIES[1]},
                             hovertemplate=f"%{{x|%Y-%m}}: {part} %{{y:.1f}}%<extra></extra>"))
    area_month = d.get("area_month", pd.DataFrame(columns=["key", "value", "denominator"]))
    if len(area_month) and area_month["denominator"].sum() > 0:
        fig.add_trace(go.Scatter(
            x=[str(k) for k in area_month["key"]], y=100 * area_month["value"],
            name=area, mode="lines+markers", connectgaps=False,
            line={"color": theme.SERIES[4], "dash": "dot"},
            customdata=area_month["denominator"],
            hovertemplate=f"%{{x|%Y-%m}}: {area} %{{y:.1f}}%"
                          + t("satisfaction.hover.answers", lang, n="%{customdata:,}")
                          + "<extra></extra>"))
    fig.update_layout(margin={"l": 40, "r": 8, "t": 6, "b": 24},
                      yaxis={"title": "%"}, legend=theme.LEGEND_ABOVE)
    unit = _with_share(d["unit"], "satisfied", "rated")
    band = _with_share(d["band"].sort_values("key"), "satisfied", "rated")
    band_fig = go.Figure()
    band_fig.add_trace(go.Bar(x=values("band", [k[3:] if k[:1].isdigit() else k
                                                for k in band["key"]], lang),
                              y=100 * band["share"], marker_color=theme.SERIES[0],
                              text=[_pct_text(v) for v in band["share"]],
                              customdata=band["rated"],
                              hovertemplate=f"%{{x}}: {rate} %{{y:.1f}}%"
                                            + t("satisfaction.hover.rated", lang,
                                                n="%{customdata:,}")
                                            + "<extra></extra>"))
    band_fig.update_layout(margin={"l": 40, "r": 8, "t": 6, "b": 24},
                           yaxis={"title": "%"})
    dept = d["department"].head(12)
    major = d["major"].sort_values("rated", ascending=False)
    rating = d["rating"][["key", "surveys"]].set_index("key").reindex(list(RATING_COLORS))
    rating = rating.dropna().reset_index().assign(n=lambda f: f["surveys"])
    rating = rating.assign(label=values("rating", rating["key"], lang))
    vocab = d.get("vocab")
    area_unit = d.get("area_unit", pd.DataFrame(columns=["key", "satisfied", "rated"]))
    area_unit = area_unit[area_unit["rated"] > 0] if len(area_unit) else area_unit
    names = d.get("area_unit_names", {})
    area_unit = area_unit.assign(label=[names.get(k, k) for k in area_unit["key"]])
    area_group = d.get("area_group", pd.DataFrame(columns=["key", "satisfied", "rated"]))
    area_group = area_group.assign(label=[
        (vocab.label("area_survey_group", k, lang) if vocab else k) if k
        else t("satisfaction.unnamed", lang)
        for k in area_group["key"]])
    return {
        "map": unit_hideout(unit.assign(v=unit["share"]), value="v", better="higher",
                            labels=[_pct_text(v) for v in unit["share"]], unit="%"),
        "trend": fig if not month.empty else empty_figure(t("analysis.no_data", lang)),
        # the eight categories with the most follow-ups: the panel has room for eight
        # readable bars (with every category their labels shrank to a few pixels)
        "major": _room_for_labels(_rate_bars(
            relabel(major.assign(label=major["label"]), vocab, "category_major", lang),
            "satisfied", "rated", filters.majors, limit=8, lang=lang)),
        "department": _room_for_labels(_rate_bars(_placed(dept.assign(label=dept["label"]),
                                                          lang), "satisfied", "rated",
                                                  lang=lang)),
        "band": band_fig if not band.empty else empty_figure(t("analysis.no_data", lang)),
        "rating": bar_figure(rating, set(), color=[RATING_COLORS[k] for k in rating["key"]],
                             text=[formats.count(n, lang) for n in rating["n"]], lang=lang),
        "area_unit": _room_for_labels(_rate_bars(
            area_unit.sort_values(["rated", "key"], ascending=[False, True]), "satisfied",
            "rated", limit=15, lang=lang)),
        "area_group": _room_for_labels(_rate_bars(area_group, "satisfied", "rated",
                                                  lang=lang)),
    }


def _room_for_labels(fig: go.Figure) -> go.Figure:
    """A horizontal bar chart of shares in % with room right of 100 for the text labels."""
    return fig.update_xaxes(range=[0, 118], tickvals=[0, 50, 100]) if fig.data else fig


SATISFACTION = Page(
    key="satisfaction", path="/satisfaction", title="nav.satisfaction", fields=INCIDENT_FIELDS,
    kpis=("satisfaction_rate", "rating_rate", "area_satisfaction_rate", "area_survey_answers"),
    map_title="satisfaction.map",
    panels=(Panel("trend", "satisfaction.panel.trend", "a"),
            Panel("major", "satisfaction.panel.major", "b", field="major"),
            Panel("department", "satisfaction.panel.department", "c"),
            Panel("band", "satisfaction.panel.band", "d"),
            Panel("rating", "satisfaction.panel.rating", "e"),
            Panel("area_unit", "satisfaction.panel.area_unit", "f",
                  note="satisfaction.panel.area_unit.note"),
            Panel("area_group", "satisfaction.panel.area_group", "g")),
    render=_satisfaction,
    total=lambda d, lang: t("satisfaction.total", lang, surveys=f"{d['surveys']:,}",
                            rated=f"{d['rated']:,}", satisfied=f"{d['satisfied']:,}",
                            answers=f"{d.get('area_answers', 0):,}"),
    notes=("satisfaction.note", "satisfaction.note.area"),
)


# --- 四级联动 ----------------------------------------------------------------------------------


def _sankey(d: dict, lang: str = "zh") -> go.Figure:
    flow, final = d["flow"], d["final"]
    if flow.empty and final.empty:
        return empty_figure(t("analysis.no_data", lang))
    tiers = taxonomy.tier_names(lang)
    nodes = [tiers[k] for k in TIER_ORDER] + [t("linkage.closed", lang)]
    index = {k: i for i, k in enumerate(TIER_ORDER)}
    src, dst, val, colors = [], [], [], []
    for r in flow.itertuples():
        if r.key in index and r.key2 in index:
            src.append(index[r.key])
            dst.append(index[r.key2])
            val.append(int(r.n))
            colors.append("rgba(242,180,65,0.45)")
    for r in final.itertuples():
        if r.key in index:
            src.append(index[r.key])
            dst.append(len(TIER_ORDER))
            val.append(int(r.n))
            colors.append("rgba(61,220,151,0.35)")
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": nodes, "pad": 18, "thickness": 16,
              "color": [theme.SERIES[0]] * len(TIER_ORDER) + [theme.GOOD],
              "line": {"width": 0}},
        link={"source": src, "target": dst, "value": val, "color": colors,
              "hovertemplate": "%{source.label} → %{target.label}: %{value:,}<extra></extra>"},
        textfont={"color": theme.TEXT, "family": theme.FONT}))
    fig.update_layout(margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return fig


def _linkage(d: dict, filters: Filters, lang: str) -> dict:
    pending = d["pending"][["key", "n"]].set_index("key").reindex(list(TIER_ORDER))
    pending = pending.fillna(0).reset_index()
    tiers = taxonomy.tier_names(lang)
    pending["label"] = [tiers[k] for k in pending["key"]]
    dwell = d["dwell"].set_index("key").reindex(list(TIER_ORDER)).dropna().reset_index()
    dwell["label"] = [tiers[k] for k in dwell["key"]]
    fig = go.Figure()
    for column, name, color in (("mean_hours", t("linkage.series.mean", lang), theme.SERIES[0]),
                                ("median_hours", t("linkage.series.median", lang),
                                 theme.SERIES[1])):
        fig.add_trace(go.Bar(x=dwell["label"], y=dwell[column], name=name, marker_color=color,
                             customdata=dwell["n"],
                             hovertemplate=t("linkage.hover.dwell", lang, name=name)
                                           + "<extra></extra>"))
    fig.update_layout(margin={"l": 40, "r": 8, "t": 6, "b": 24},
                      yaxis={"title": t("unit.hours_long", lang)},
                      legend=theme.LEGEND_ABOVE)
    transfers = [{"from": value("place", r.key, lang), "to": value("place", r.key2, lang),
                  "n": int(r.n)} for r in d["transfer"].head(12).itertuples()]
    return {
        "sankey": _sankey(d, lang),
        "pending": bar_figure(pending, set(), text=[formats.count(n, lang) for n in pending["n"]],
                              lang=lang),
        "dwell": fig if not dwell.empty else empty_figure(t("analysis.no_data", lang)),
        "transfers": lines(transfers, [(k, t(f"linkage.col.{k}", lang))
                                       for k in ("from", "to", "n")],
                           empty=t("linkage.none", lang)),
    }


LINKAGE = Page(
    key="linkage", path="/linkage", title="nav.linkage", fields=INCIDENT_FIELDS,
    kpis=("escalations_town", "escalations_county", "escalations_city", "transfers"),
    panels=(Panel("sankey", "linkage.panel.sankey", "a"),
            Panel("pending", "linkage.panel.pending", "b"),
            Panel("dwell", "linkage.panel.dwell", "c"),
            Panel("transfers", "linkage.panel.transfers", "d", kind="div")),
    render=_linkage,
    total=lambda d, lang: t("linkage.total", lang, up=f"{int(d['flow']['n'].sum()):,}",
                            transfers=f"{int(d['transfer']['n'].sum()):,}",
                            closed=f"{int(d['final']['n'].sum()):,}"),
    notes=("linkage.note",),
)


# --- 物联预警 ----------------------------------------------------------------------------------


def _iot(d: dict, filters: Filters, lang: str) -> dict:
    sensors = d["sensors"].sort_values("n", ascending=False)
    names = values("stype", sensors["key"], lang)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=sensors["n"], name=t("iot.series.sensors", lang),
                         marker_color=theme.SERIES[0], customdata=sensors["key"],
                         hovertemplate=t("iot.hover.sensors", lang) + "<extra></extra>"))
    fig.add_trace(go.Bar(x=names, y=sensors["alarming"], name=t("iot.series.alarming", lang),
                         marker_color=theme.BAD, customdata=sensors["key"],
                         hovertemplate=t("iot.hover.alarming", lang) + "<extra></extra>"))
    fig.update_layout(margin={"l": 40, "r": 8, "t": 6, "b": 24},
                      barmode="group", clickmode="event",
                      legend=theme.LEGEND_ABOVE)
    types = d["type"].sort_values("n", ascending=False)
    handle = go.Figure()
    if not types.empty:
        kinds = values("stype", types["key"], lang)
        handle.add_trace(go.Bar(x=kinds, y=types["median_minutes"],
                                name=t("iot.series.median", lang),
                                marker_color=theme.SERIES[0]))
        handle.add_trace(go.Bar(x=kinds, y=types["p90_minutes"], name=t("iot.series.p90", lang),
                                marker_color=theme.SERIES[1]))
    handle.update_layout(margin={"l": 40, "r": 8, "t": 6, "b": 24},
                         yaxis={"title": t("unit.minutes_long", lang)}, barmode="group",
                         legend=theme.LEGEND_ABOVE)
    open_rows = [{"code": r.sensor_code,
                  "what": f"{value('stype', r.type, lang)} · {value('alert_level', r.level, lang)}",
                  "value": f"{r.value:g}/{r.threshold:g} {value('sunit', r.unit, lang)}",
                  "where": f"{r.village} · {value('place', r.grid, lang)}",
                  "open": formats.duration(r.hours_open, lang)}
                 for r in d["open_list"].itertuples()]
    day = d["day"].sort_values("key")
    no_data = t("analysis.no_data", lang)
    return {
        "map": unit_hideout(d["unit"], unit=t("unit.alerts", lang), lang=lang),
        "sensors": fig if not sensors.empty else empty_figure(no_data),
        "alerts": trend_figure(day.assign(handled=day["handled"]),
                               (("n", t("iot.series.alerts", lang)),
                                ("handled", t("iot.series.handled", lang))), lang=lang),
        "handle": handle if not types.empty else empty_figure(no_data),
        "open": lines(open_rows, [(k, t(f"iot.col.{k}", lang))
                                  for k in ("code", "what", "value", "where", "open")],
                      empty=t("iot.none", lang)),
    }


IOT = Page(
    key="iot", path="/iot", title="nav.iot", fields=frozenset({"stype"}),
    kpis=("alerts", "alert_handle_rate"),
    map_title="iot.map", points="sensor", cluster=False,
    panels=(Panel("sensors", "iot.panel.sensors", "a", field="stype"),
            Panel("alerts", "iot.panel.alerts", "b", field="day"),
            Panel("handle", "iot.panel.handle", "c"),
            Panel("open", "iot.panel.open", "d", kind="div")),
    render=_iot,
    total=lambda d, lang: t("iot.total", lang, n=f"{d['total']:,}"),
    notes=("iot.note",),
)


PAGES: tuple[Page, ...] = (HAZARDS, PERSONS, TIMELINESS, SATISFACTION, LINKAGE, IOT)

