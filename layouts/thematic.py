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

TIER_NAMES = taxonomy.tier_names()
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
    (``div``)."""

    name: str
    title: str
    area: str
    kind: str = "graph"
    field: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Page:
    """An analysis page, from which its layout and callback are generated."""

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
            cards.append(card(self.map_title, units_map(self.key, self.points, self.cluster),
                              "gc-area-map"))
        for p in self.panels:
            body = (graph(self.key, p.name, p.field) if p.kind == "graph" else
                    html.Div(id=self.panel_output(p)[0], className="gc-case gc-scroll"))
            cards.append(card(p.title, body, f"gc-area-{p.area}", p.note))
        body = html.Div(cards, className=f"gc-analysis-grid gc-grid-{self.key}")
        return frame(self.key, data, lang, self.fields, body, kpis=self.kpis,
                     notes=self.notes)


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
               limit: int | None = None) -> go.Figure:
    """A rate per key as bars (the share in %, n behind it in the hover)."""
    if frame_.empty:
        return empty_figure("无数据")
    f = _with_share(frame_, num, den)
    if limit:
        f = f.head(limit)
    f = f.assign(pct=100 * f["share"])
    return bar_figure(f, set(selected), horizontal=horizontal, value="pct",
                      text=[_pct_text(v) for v in f["share"]], hover="%{x:.1f}%")


# --- 隐患 -----------------------------------------------------------------------------------


def _hazards(d: dict, filters: Filters, lang: str) -> dict:
    days = d["day"][["key", "n"]].merge(
        d["rectified_day"][["key", "n"]].rename(columns={"n": "rectified"}), on="key",
        how="outer").fillna(0).sort_values("key")
    state = d["state"][["key", "n"]].set_index("key").reindex(list(STATE_COLORS))
    state = state.fillna(0).reset_index()
    risk = d["risk"][["key", "n"]].set_index("key").reindex(list(RISK_COLORS)).dropna()
    risk = risk.reset_index()
    overdue = [{"no": r.hazard_no, "what": f"{r.type} · {r.risk_level}",
                "where": f"{r.village} · {r.grid}", "dept": r.department or "—",
                "over": f"{r.days_over:.0f} 天"} for r in d["overdue_list"].itertuples()]
    return {
        "map": unit_hideout(d["unit"], unit="处", lang=lang),
        "type": bar_figure(relabel(d["type"].sort_values("n", ascending=False),
                                   d.get("vocab"), "hazard_type", lang),
                           set(filters.hazard_types), horizontal=True),
        "risk": bar_figure(risk, set(filters.risks),
                           color=[RISK_COLORS[k] for k in risk["key"]]),
        "state": bar_figure(state, set(), color=[STATE_COLORS[k] for k in state["key"]],
                            text=[formats.count(n, lang) for n in state["n"]]),
        "trend": trend_figure(days, (("n", "发现"), ("rectified", "整改"))),
        "overdue": lines(overdue, (("no", "隐患编号"), ("what", "类型 · 等级"),
                                   ("where", "位置"), ("dept", "责任部门"),
                                   ("over", "逾期")),
                         empty="没有逾期未整改的隐患"),
    }


HAZARDS = Page(
    key="hazards", path="/hazards", title="隐患排查", fields=frozenset({"htype", "risk"}),
    kpis=("hazards", "major_hazards", "open_hazards", "hazard_rectify_rate",
          "hazard_ontime_rate"),
    map_title="隐患分布（点按风险等级着色，点击下钻）", points="hazard",
    panels=(Panel("type", "按隐患类型（点击筛选）", "a", field="htype"),
            Panel("risk", "按风险等级（点击筛选）", "b", field="risk"),
            Panel("state", "整改状态", "c"),
            Panel("trend", "每日发现与整改", "d", field="day"),
            Panel("overdue", "逾期未整改隐患", "e", kind="div")),
    render=_hazards, total=lambda d, lang: f"期内发现隐患 {d['total']:,} 处",
    notes=("整改状态：按期整改（整改不晚于期限）、超期整改、整改中（未过期限）、逾期未整改（已过期限仍未整改），"
           "按当前时刻判断；本页统计期内发现的隐患。",),
)


# --- 重点人群 ----------------------------------------------------------------------------------


def _persons(d: dict, filters: Filters, lang: str) -> dict:
    unit = d["unit"]
    labels = [n if isinstance(n, str) else formats.count(n, lang) for n in unit["persons"]]
    hideout = unit_hideout(unit.assign(v=unit["per_10k"]), value="v", labels=labels, lang=lang,
                           unit="人/万人")
    cat = d["category"]
    visits = _with_share(cat, "ontime", "due")
    table = []
    for key, group in d["unit_category"].groupby("key", sort=True):
        counts = dict(zip(group["key2"], group["persons"], strict=True))
        table.append({"unit": d["unit_names"].get(key, key),
                      **{c: counts.get(c, 0) for c in cat["key"][:6]}})
    people = d.get("people")
    if people is None:
        person_panel = html.Div("人员名单仅对具有个人信息查看权限的角色显示（已脱敏，查看留痕）。",
                                className="gc-empty")
    else:
        person_panel = lines(
            [{"name": p["name"], "cat": p["category"], "risk": p["risk_level"],
              "grid": p["grid_name"], "phone": p["phone"], "missed": p["missed"],
              "last": p["last_visit"].strftime("%m-%d") if p["last_visit"] is not None
              else "—"} for p in people],
            (("name", "姓名"), ("cat", "类别"), ("risk", "关注"), ("grid", "网格"),
             ("phone", "电话"), ("missed", "逾期未访"), ("last", "最近走访")),
            empty="没有符合条件的人员")
    counts = [n if isinstance(n, str) else formats.count(n, lang) for n in cat["persons"]]
    numeric = [0 if isinstance(n, str) else n for n in cat["persons"]]
    return {
        "map": hideout,
        "category": bar_figure(relabel(cat.assign(n=numeric), d.get("vocab"),
                                       "key_person_category", lang),
                               set(filters.person_categories), horizontal=True, text=counts),
        "visits": _rate_bars(relabel(visits.assign(label=visits["key"]), d.get("vocab"),
                                     "key_person_category", lang), "ontime", "due"),
        "units": lines(table, (("unit", "区域"), *(
            (c, d["vocab"].label("key_person_category", c, lang) if d.get("vocab") else c)
            for c in cat["key"][:6])),
                       empty="无数据"),
        "people": person_panel,
    }


PERSONS = Page(
    key="persons", path="/persons", title="重点人群", fields=frozenset({"pcat"}),
    kpis=("key_persons", "visit_rate"),
    map_title="每万名居民重点人员数（点击下钻）",
    panels=(Panel("category", "按人群类别（点击筛选）", "a", field="pcat"),
            Panel("visits", "走访按期率（按类别）", "b"),
            Panel("units", "分区域人数（前六类）", "c", kind="div",
                  note="无权限角色：不足 5 人显示“<5”，防推算隐去的显示“*”"),
            Panel("people", "人员名单（脱敏）", "d", kind="div")),
    render=_persons,
    total=lambda d, lang: (f"期末在册重点人员 {_count_text(d['total'])} 人 · 期内应走访 "
                           f"{_count_text(d['due'])} 次，逾期未访 {_count_text(d['missed'])} 次"),
    notes=("在册：期末之前登记且未注销。走访覆盖：期内到期的走访中，在到期日当天或之前完成的比例"
           "（同走访率）；逾期未访：到期日已过仍未走访。对无个人信息权限的角色，各级不足 5 人的计数"
           "显示为“<5”，为防止由合计与其他数相减推算而一并隐去的计数显示为“*”，其密度与走访数不显示。",),
)


# --- 时效 -------------------------------------------------------------------------------------


def _funnel(stages: pd.DataFrame, lang: str = "zh") -> go.Figure:
    if stages.empty or not stages["reached"].any():
        return empty_figure("无数据")
    text = []
    for r in stages.itertuples():
        took = ("" if pd.isna(r.median_hours)
                else f" · 中位 {formats.duration(r.median_hours, lang)}")
        text.append(f"{formats.count(r.reached, lang)}{took}")
    fig = go.Figure(go.Funnel(
        y=stages["stage"], x=stages["reached"], text=text, textinfo="text",
        marker={"color": list(theme.SERIES[:1]) * len(stages)},
        customdata=stages[["mean_hours", "p90_hours"]].to_numpy(),
        hovertemplate="%{y}: %{x:,}<br>平均 %{customdata[0]:.1f} 小时 · P90 "
                      "%{customdata[1]:.1f} 小时<extra></extra>"))
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 8, "r": 8, "t": 6, "b": 6})
    fig.update_yaxes(automargin=True)
    return fig


def _boxes(frame_: pd.DataFrame, names: dict | None = None, limit: int | None = None):
    """Handling-hour distributions from precomputed quantiles (P10–P90 whiskers)."""
    if frame_.empty:
        return empty_figure("无数据")
    f = frame_.head(limit) if limit else frame_
    labels = [names.get(k, k) if names else lab for k, lab in zip(f["key"], f["label"],
                                                                   strict=True)]
    fig = go.Figure(go.Box(
        x=labels, q1=f["p25"], median=f["p50"], q3=f["p75"], lowerfence=f["p10"],
        upperfence=f["p90"], mean=f["mean_hours"], marker_color=theme.SERIES[0],
        boxpoints=False, hoverinfo="y"))
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 8, "t": 6, "b": 6},
                      yaxis_title="小时")
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
        rows.append({"what": r["label"], "n": formats.count(r["n"], lang),
                     "mean": formats.duration(r["mean_hours"], lang),
                     "median": formats.duration(r["p50"], lang),
                     "p90": formats.duration(r["p90"], lang)})
    return lines(rows, (("what", "时长（口径同指标库）"), ("n", "件数"), ("mean", "平均"),
                        ("median", "中位"), ("p90", "P90")), empty="无数据")


RISK_NOTE = ("概率 = 按历史同类案件推算、此案最终晚于办理时限结案的可能性：给出 30% 的案件，"
             "历史上约 30% 超期。按类别、处置层级、所在环节、已用时限、星期与时段、部门所在条线的"
             "当前积压推算，已用最近一段时间单独校准。列出概率不低于阈值的未超期在办案件，"
             "每次导入或接入一批数据后重新评分（不在本页计算）；只按辖区与区域筛选。")
RISK_KPI = foresight_kpi("risk_cases")
STAGE_LABELS = {"registered": "待派遣", "dispatched": "处置中", "handled": "待核查",
                "verified": "待结案"}


def risk_panel(risk: dict | None, lang: str) -> list:
    """即将超期风险: 风险案件数, the stored queue (probability, deadline, stage, reasons)."""
    if not risk or not risk.get("scored"):
        return [html.Div("暂无评分结果（运行 gridcmd foresight 或导入数据后生成）",
                         className="gc-empty")]
    rows = risk["rows"]
    asof = pd.Timestamp(risk["asof_at"])
    head = html.Div(className="gc-risk-head", children=[
        html.Span(f"{RISK_KPI.name_zh} {formats.exact(risk['at_risk'])} 件",
                  className="gc-risk-count", title=f"{RISK_KPI.formula}：{RISK_KPI.numerator}"),
        html.Span(f" / 在办有时限 {formats.exact(risk['scored'])} 件 · 概率 ≥ "
                  f"{risk['threshold']:.0%} · 评分于 {asof:%m-%d %H:%M} · 模型 "
                  f"{risk['model_version']}", className="gc-risk-meta")])
    watch = risk.get("watch")
    if len(rows):
        table = _risk_table(rows, "gc-risk-row", lang)
    elif watch is not None and len(watch):
        # nothing at the threshold: the cases nearest to it, marked as below it
        table = html.Div([
            html.Div(f"无达到阈值的案件；以下为概率最高的 {len(watch)} 件（低于阈值）",
                     className="gc-empty"),
            _risk_table(watch, "gc-risk-watch-row", lang)])
    else:
        table = html.Div("无达到阈值的案件", className="gc-empty")
    return [head, table, html.Details([html.Summary("指标说明"), html.P(RISK_NOTE)],
                                      className="gc-help")]


def _risk_table(rows: pd.DataFrame, row_class: str, lang: str) -> html.Table:
    cols = (("p", "概率"), ("case", "案件编号"), ("what", "小类"), ("stage", "环节"),
            ("deadline", "时限"), ("left", "预计还需"))
    body = [html.Tr([html.Th(h) for _, h in cols])]
    for r in rows.itertuples():
        cells = {"p": f"{r.probability:.0%}", "case": r.case_no,
                 "what": r.minor_name or r.category_code or "",
                 "stage": STAGE_LABELS.get(r.stage, r.stage),
                 "deadline": f"{pd.Timestamp(r.deadline_at):%m-%d %H:%M}",
                 "left": formats.duration(r.remaining_hours, lang)}
        body.append(html.Tr([html.Td(cells[k]) for k, _ in cols], className=row_class))
        # the reasons on a line of their own under the case, wrapped to the panel
        body.append(html.Tr(html.Td(r.reasons, colSpan=len(cols)), className="gc-risk-why"))
    return html.Table(body, className="gc-list-table gc-risk-table")


def _timeliness(d: dict, filters: Filters, lang: str) -> dict:
    light = d["light"][["key", "n"]].set_index("key").reindex(list(LIGHT_ORDER)).dropna()
    light = light.reset_index()
    week = d["week"].sort_values("key")
    trend = _with_share(week, "ontime", "n_dl")  # 无时限 cases are neither on time nor late
    fig = go.Figure()
    fig.add_trace(go.Bar(x=trend["key"], y=trend["n"], name="结案数",
                         marker_color="rgba(53,208,255,0.35)", yaxis="y2",
                         hovertemplate="%{x}: 结案 %{y:,}<extra></extra>"))
    fig.add_trace(go.Scatter(x=trend["key"], y=100 * trend["share"], name="按期率",
                             mode="lines+markers", line={"color": theme.SERIES[2]},
                             hovertemplate="%{x}: 按期 %{y:.1f}%<extra></extra>"))
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 40, "t": 6, "b": 24},
                      yaxis={"title": "%", "range": [0, 105]},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False},
                      legend={"orientation": "h", "y": 1.12, "x": 0})
    major = d["major"].sort_values("mean_hours", ascending=False)
    return {
        "durations": _durations(d["duration"], lang),
        "funnel": _funnel(d["stages"], lang),
        "lights": bar_figure(light, set(), color=[LIGHT_COLORS[k] for k in light["key"]],
                             text=[formats.count(n, lang) for n in light["n"]]),
        "tier": _boxes(d["tier"].set_index("key").reindex(
            [k for k in TIER_ORDER if k in set(d["tier"]["key"])]).reset_index(),
            names=TIER_NAMES),
        "major": bar_figure(relabel(major.assign(v=major["mean_hours"]), d.get("vocab"),
                                    "category_major", lang), set(filters.majors),
                            horizontal=True, value="v", hover="%{x:.1f} 小时"),
        "department": bar_figure(d["department"].head(12).assign(
            v=d["department"]["mean_hours"].head(12)), set(), horizontal=True, value="v",
            hover="%{x:.1f} 小时"),
        "ontime": fig if not week.empty else empty_figure("无数据"),
        "risk": risk_panel(d.get("risk"), lang),
    }


TIMELINESS = Page(
    key="timeliness", path="/timeliness", title="处置时效", fields=INCIDENT_FIELDS,
    kpis=("avg_response_hours", "avg_handle_hours", "avg_close_hours", "ontime_rate", "overdue",
          "rework_rate"),
    panels=(Panel("durations", "响应、处置、办结时长：平均 · 中位 · P90", "g", kind="div"),
            Panel("funnel", "办理流程漏斗（各环节中位用时，自上一环节起算）", "a"),
            Panel("lights", "时限红黄绿灯（当前）", "b"),
            Panel("tier", "处置用时分布·按处置层级（P10–P90）", "c"),
            Panel("major", "平均处置用时·按大类（点击筛选）", "d", field="major"),
            Panel("department", "平均处置用时·按部门（结案最多的12个）", "e"),
            Panel("ontime", "按期结案率·按周", "f"),
            Panel("risk", "即将超期风险（模型预测 · 当前在办）", "h", kind="div",
                  note="概率 = 超期可能性")),
    render=_timeliness,
    total=lambda d, lang: f"期内上报案件 {int(d['stages']['reached'].iloc[0]):,} 件"
    if not d["stages"].empty else "",
    notes=("本页统计期内上报的案件：各环节到达数与相邻环节之间的用时（小时）；红黄绿灯按时限"
           "（立案起算，含延期）已用比例判断：正常 < 80%，临期 80%–100%，超期 > 100%；"
           "没有处置时限的案件（来源或类别无时限）单列为“无时限”，不计按期、不计超期。"
           "时长表与指标库同口径：响应 = 立案 − 上报（已立案），处置 = 处置完成 − 立案（已结案），"
           "办结 = 结案 − 上报（已结案）；中位与P90为精确分位数。指标卡按期内事件统计"
           "（如期内结案），本页图表按期内上报的案件统计。",),
)


# --- 满意度 -----------------------------------------------------------------------------------


def _satisfaction(d: dict, filters: Filters, lang: str) -> dict:
    month = _with_share(d["month"].sort_values("key"), "satisfied", "rated")
    month["part"] = [_pct(a, b) for a, b in zip(month["rated"], month["surveys"], strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=month["key"], y=100 * month["share"], name="满意率",
                             mode="lines+markers", line={"color": theme.SERIES[2]},
                             hovertemplate="%{x|%Y-%m}: 满意率 %{y:.1f}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=month["key"], y=100 * month["part"], name="参评率",
                             mode="lines+markers", line={"color": theme.SERIES[1]},
                             hovertemplate="%{x|%Y-%m}: 参评率 %{y:.1f}%<extra></extra>"))
    area_month = d.get("area_month", pd.DataFrame(columns=["key", "value", "denominator"]))
    if len(area_month) and area_month["denominator"].sum() > 0:
        fig.add_trace(go.Scatter(
            x=[str(k) for k in area_month["key"]], y=100 * area_month["value"],
            name="群众满意度(测评)", mode="lines+markers", connectgaps=False,
            line={"color": theme.SERIES[4], "dash": "dot"},
            customdata=area_month["denominator"],
            hovertemplate="%{x|%Y-%m}: 群众满意度(测评) %{y:.1f}%（有效评价 %{customdata:,}）"
                          "<extra></extra>"))
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 8, "t": 6, "b": 24},
                      yaxis={"title": "%"}, legend={"orientation": "h", "y": 1.12, "x": 0})
    unit = _with_share(d["unit"], "satisfied", "rated")
    band = _with_share(d["band"].sort_values("key"), "satisfied", "rated")
    band_fig = go.Figure()
    band_fig.add_trace(go.Bar(x=[k[3:] if k[:1].isdigit() else k for k in band["key"]],
                              y=100 * band["share"], marker_color=theme.SERIES[0],
                              text=[_pct_text(v) for v in band["share"]],
                              customdata=band["rated"],
                              hovertemplate="%{x}: 满意率 %{y:.1f}%（参评 %{customdata:,}）"
                                            "<extra></extra>"))
    band_fig.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 8, "t": 6, "b": 24},
                           yaxis={"title": "%"})
    dept = d["department"].head(12)
    major = d["major"].sort_values("rated", ascending=False)
    rating = d["rating"][["key", "surveys"]].set_index("key").reindex(list(RATING_COLORS))
    rating = rating.dropna().reset_index().assign(n=lambda f: f["surveys"])
    vocab = d.get("vocab")
    area_unit = d.get("area_unit", pd.DataFrame(columns=["key", "satisfied", "rated"]))
    area_unit = area_unit[area_unit["rated"] > 0] if len(area_unit) else area_unit
    names = d.get("area_unit_names", {})
    area_unit = area_unit.assign(label=[names.get(k, k) for k in area_unit["key"]])
    area_group = d.get("area_group", pd.DataFrame(columns=["key", "satisfied", "rated"]))
    area_group = area_group.assign(label=[
        (vocab.label("area_survey_group", k, lang) if vocab else k) if k else "（未注明）"
        for k in area_group["key"]])
    return {
        "map": unit_hideout(unit.assign(v=unit["share"]), value="v", better="higher",
                            labels=[_pct_text(v) for v in unit["share"]], unit="%"),
        "trend": fig if not month.empty else empty_figure("无数据"),
        "major": _rate_bars(relabel(major.assign(label=major["label"]), vocab,
                                    "category_major", lang), "satisfied", "rated",
                            filters.majors),
        "department": _room_for_labels(_rate_bars(dept.assign(label=dept["label"]), "satisfied",
                                                  "rated")),
        "band": band_fig if not band.empty else empty_figure("无数据"),
        "rating": bar_figure(rating, set(), color=[RATING_COLORS[k] for k in rating["key"]],
                             text=[formats.count(n, lang) for n in rating["n"]]),
        "area_unit": _room_for_labels(_rate_bars(
            area_unit.sort_values(["rated", "key"], ascending=[False, True]), "satisfied",
            "rated", limit=15)),
        "area_group": _room_for_labels(_rate_bars(area_group, "satisfied", "rated")),
    }


def _room_for_labels(fig: go.Figure) -> go.Figure:
    """A horizontal bar chart of shares in % with room right of 100 for the text labels."""
    return fig.update_xaxes(range=[0, 118], tickvals=[0, 50, 100]) if fig.data else fig


SATISFACTION = Page(
    key="satisfaction", path="/satisfaction", title="群众满意度", fields=INCIDENT_FIELDS,
    kpis=("satisfaction_rate", "rating_rate", "area_satisfaction_rate", "area_survey_answers"),
    map_title="满意率·按区域（点击下钻）",
    panels=(Panel("trend", "回访满意率、参评率与群众满意度(测评)·近12个月", "a"),
            Panel("major", "满意率·按大类（点击筛选）", "b", field="major"),
            Panel("department", "满意率·按部门（回访最多的12个）", "c"),
            Panel("band", "满意率与处置用时", "d"),
            Panel("rating", "评价分布", "e"),
            Panel("area_unit", "群众满意度(测评)·按区域", "f",
                  note="答卷最多的15个"),
            Panel("area_group", "群众满意度(测评)·按测评对象", "g")),
    render=_satisfaction,
    total=lambda d, lang: (f"期内回访 {d['surveys']:,} 次 · 参评 {d['rated']:,} 次 · "
                           f"满意 {d['satisfied']:,} 次 · 测评答卷 "
                           f"{d.get('area_answers', 0):,} 份"),
    notes=("本页统计期内进行的回访（回访时间在期内），对象为符合类别、来源、状态、网格筛选的案件；"
           "满意率 =（满意 + 基本满意）/ 参评数，参评率 = 参评数 / 回访数，与指标库同口径。",
           "群众满意度(测评口径) 来自定期的群众满意度测评（不对应案件）：期内答卷中"
           "（满意 + 基本满意）/ 有效评价数；未作评价的答卷（如“不了解”）计入测评样本数、"
           "不计入比率。测评面板只按区域与时段统计（类别、来源、状态、网格筛选不适用）；"
           "关于乡镇等上级区域的答卷计入该区域及以上，不分摊到下级单元。",),
)


# --- 四级联动 ----------------------------------------------------------------------------------


def _sankey(d: dict) -> go.Figure:
    flow, final = d["flow"], d["final"]
    if flow.empty and final.empty:
        return empty_figure("无数据")
    nodes = [TIER_NAMES[k] for k in TIER_ORDER] + ["办结"]
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
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return fig


def _linkage(d: dict, filters: Filters, lang: str) -> dict:
    pending = d["pending"][["key", "n"]].set_index("key").reindex(list(TIER_ORDER))
    pending = pending.fillna(0).reset_index()
    pending["label"] = [TIER_NAMES[k] for k in pending["key"]]
    dwell = d["dwell"].set_index("key").reindex(list(TIER_ORDER)).dropna().reset_index()
    dwell["label"] = [TIER_NAMES[k] for k in dwell["key"]]
    fig = go.Figure()
    for column, name, color in (("mean_hours", "平均", theme.SERIES[0]),
                                ("median_hours", "中位", theme.SERIES[1])):
        fig.add_trace(go.Bar(x=dwell["label"], y=dwell[column], name=name, marker_color=color,
                             customdata=dwell["n"],
                             hovertemplate="%{x} " + name + " %{y:.1f} 小时（%{customdata:,} 件）"
                                           "<extra></extra>"))
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 8, "t": 6, "b": 24},
                      yaxis={"title": "小时"}, legend={"orientation": "h", "y": 1.12, "x": 0})
    transfers = [{"from": r.key, "to": r.key2, "n": int(r.n)}
                 for r in d["transfer"].head(12).itertuples()]
    return {
        "sankey": _sankey(d),
        "pending": bar_figure(pending, set(), text=[formats.count(n, lang) for n in pending["n"]]),
        "dwell": fig if not dwell.empty else empty_figure("无数据"),
        "transfers": lines(transfers, (("from", "转出部门"), ("to", "转入部门"), ("n", "次数")),
                           empty="期内没有部门间转派"),
    }


LINKAGE = Page(
    key="linkage", path="/linkage", title="四级联动", fields=INCIDENT_FIELDS,
    kpis=("escalations_town", "escalations_county", "escalations_city", "transfers"),
    panels=(Panel("sankey", "逐级上报流向（村→乡镇→区县→市）与办结层级", "a"),
            Panel("pending", "各层级在办案件（当前）", "b"),
            Panel("dwell", "各层级停留时间（期内结案案件）", "c"),
            Panel("transfers", "部门间转派（期内，最多的12对）", "d", kind="div")),
    render=_linkage,
    total=lambda d, lang: (f"期内逐级上报 {int(d['flow']['n'].sum()):,} 次 · 转派 "
                           f"{int(d['transfer']['n'].sum()):,} 次 · 结案 "
                           f"{int(d['final']['n'].sum()):,} 件"),
    notes=("流向：期内发生的“上报上级”，与指标库上报乡镇/区县/市级次数同口径；办结：期内结案案件的最终处置层级；"
           "在办：当前已立案未结案的案件按所在层级；停留时间：期内结案案件自到达该层级（立案或被上报）"
           "至离开（再上报或结案）的小时数。对象为符合类别、来源、状态、网格筛选的案件。",),
)


# --- 物联预警 ----------------------------------------------------------------------------------


def _iot(d: dict, filters: Filters, lang: str) -> dict:
    sensors = d["sensors"].sort_values("n", ascending=False)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=sensors["key"], y=sensors["n"], name="设备数",
                         marker_color=theme.SERIES[0], customdata=sensors["key"],
                         hovertemplate="%{x}: %{y:,} 台<extra></extra>"))
    fig.add_trace(go.Bar(x=sensors["key"], y=sensors["alarming"], name="告警中",
                         marker_color=theme.BAD, customdata=sensors["key"],
                         hovertemplate="%{x}: 告警中 %{y:,} 台<extra></extra>"))
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 8, "t": 6, "b": 24},
                      barmode="group", clickmode="event",
                      legend={"orientation": "h", "y": 1.12, "x": 0})
    types = d["type"].sort_values("n", ascending=False)
    handle = go.Figure()
    if not types.empty:
        handle.add_trace(go.Bar(x=types["key"], y=types["median_minutes"], name="中位",
                                marker_color=theme.SERIES[0]))
        handle.add_trace(go.Bar(x=types["key"], y=types["p90_minutes"], name="P90",
                                marker_color=theme.SERIES[1]))
    handle.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 8, "t": 6, "b": 24},
                         yaxis={"title": "分钟"}, barmode="group",
                         legend={"orientation": "h", "y": 1.12, "x": 0})
    open_rows = [{"code": r.sensor_code, "what": f"{r.type} · {r.level}",
                  "value": f"{r.value:g}/{r.threshold:g} {r.unit}",
                  "where": f"{r.village} · {r.grid}", "open": formats.duration(r.hours_open, lang)}
                 for r in d["open_list"].itertuples()]
    day = d["day"].sort_values("key")
    return {
        "map": unit_hideout(d["unit"], unit="次", lang=lang),
        "sensors": fig if not sensors.empty else empty_figure("无数据"),
        "alerts": trend_figure(day.assign(handled=day["handled"]),
                               (("n", "告警"), ("handled", "已处置"))),
        "handle": handle if not types.empty else empty_figure("无数据"),
        "open": lines(open_rows, (("code", "设备"), ("what", "类型 · 级别"),
                                  ("value", "读数/阈值"), ("where", "位置"),
                                  ("open", "已持续")), empty="没有未处置的告警"),
    }


IOT = Page(
    key="iot", path="/iot", title="物联预警", fields=frozenset({"stype"}),
    kpis=("alerts", "alert_handle_rate"),
    map_title="告警分布与设备（红点为告警中，点击下钻）", points="sensor", cluster=False,
    panels=(Panel("sensors", "设备与告警中设备·按类型（点击筛选）", "a", field="stype"),
            Panel("alerts", "每日告警与处置", "b", field="day"),
            Panel("handle", "告警处置用时·按类型", "c"),
            Panel("open", "超阈值未处置告警", "d", kind="div")),
    render=_iot,
    total=lambda d, lang: f"期内告警 {d['total']:,} 次",
    notes=("本页统计期末前安装的设备与期内产生的告警；告警中：有未处置告警的设备（当前）；"
           "处置用时：告警至处置完成的分钟数（已处置告警）。",),
)


PAGES: tuple[Page, ...] = (HAZARDS, PERSONS, TIMELINESS, SATISFACTION, LINKAGE, IOT)

