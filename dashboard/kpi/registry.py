"""The KPI registry: every indicator's names, formula and exact definition, in one place.

Pages, exports, reports and the engine all read this tuple, so a KPI cannot be computed
or labelled differently on two screens. ``docs/kpi.md`` is the prose version of the same
definitions.

Period semantics (all days are calendar days in the store's time zone, default
Asia/Shanghai; a period is ``[from, to]``
inclusive, i.e. ``[from 00:00, to + 1 day 00:00)``):

- **flows** count an event that happened inside the period, each by its own timestamp
  (上报数 by ``reported_at``, 结案数 by ``closed_at``, 隐患数 by ``found_at`` ...);
- **stocks** are taken at the end of the period (超期数: cases open past their deadline at
  ``to + 1 day 00:00``; 重点人群数: persons listed at that moment);
- **rates** whose denominator "should have been done" (应结案, 应处置, 应整改) use
  ``flow in the period + still-open backlog at the period end``, so the numerator is
  always part of the denominator and a rate never exceeds 100 %.

Void cases (作废) count only in 上报数 and 作废率; every other case KPI excludes them.

Cases without a deadline (``deadline_at`` NULL: no time limit in their source or category)
form the 无时限 group: they are left out of the on-time numerators and denominators and of
超期数 (never late, never on time), and 有时限案件占比 (``deadline_share``) says how many
closed cases an on-time rate speaks for.

Durations come as means (from the summary tables) and as exact quantiles (kind
``quantile``: median and P90 over the raw rows the mean averages, one query per family).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("count", "stock", "rate", "mean", "quantile")

# which family of summary table (and raw table for drill-through) a KPI reads
FAMILIES: dict[str, tuple[str, str]] = {
    "incident": ("incident_daily", "incidents"),
    "survey": ("survey_daily", "surveys"),
    "escalation": ("escalation_daily", "escalations"),
    "hazard": ("hazard_daily", "hazards"),
    "key_person": ("key_person_daily", "key_persons"),
    "visit": ("visit_daily", "visits"),
    "alert": ("alert_daily", "sensor_alerts"),
    "area_survey": ("area_survey_daily", "area_surveys"),
}

KEY_PERSON_SLUGS: dict[str, str] = {
    # category (a code of the taxonomy's key_person_category) → KPI key suffix
    "独居老人": "living_alone_elderly",
    "空巢老人": "empty_nest_elderly",
    "残疾人": "disabled",
    "低保对象": "minimum_subsistence",
    "留守儿童": "left_behind_children",
    "困境儿童": "children_in_difficulty",
    "严重精神障碍患者": "severe_mental_disorder",
    "社区矫正对象": "community_corrections",
    "刑满释放人员": "released_prisoners",
    "吸毒人员": "drug_users",
}
"""The key-person categories with a KPI of their own. The registry is fixed at import (the
summaries hold a column per category), so the categories are the built-in seed's
(``dashboard/reference/taxonomy.csv``); a category a city adds is listed and filtered, but
has no KPI. Names come from the seed, not from here."""


def _key_person_categories() -> dict[str, tuple[str, str]]:
    from dashboard.taxonomy import builtin_vocab

    vocab = builtin_vocab()
    out = {}
    for code, slug in KEY_PERSON_SLUGS.items():
        en = vocab.label("key_person_category", code, "en")
        out[code] = (slug, en[:1].lower() + en[1:])
    return out


KEY_PERSON_CATEGORIES: dict[str, tuple[str, str]] = _key_person_categories()
"""category → (KPI key suffix, English name in running text), names from the seed."""

ONTIME_DEFINITIONS: dict[str, str] = {"closed": "ontime_rate_closed", "due": "ontime_rate_due"}
ONTIME_DEFAULT = "closed"


@dataclass(frozen=True)
class Measure:
    """One measure column of the region rollups (``village_daily``, ``town_daily``,
    ``county_daily``, ``city_daily``): the one home of their column lists. The CREATE TABLE
    column lists, the union that builds the village rows and every rollup and delta column
    list are generated from :data:`ROLLUP_MEASURES` (``dashboard/kpi/rollup_sql.py``).

    Attributes
    ----------
    column : str
        Column name in the rollup tables.
    family : str
        Key of ``FAMILIES``: the grid-level daily table the column is built from.
    measure : str
        The engine's measure name within the family (``listed:<category>`` for a split).
    expr : str
        SQL over one row of the family's daily table: a flow's value that day, or a
        stock's change that day (in minus out).
    stock : bool
        False: a flow, summed over days. True: a stock, stored as the running sum of
        ``expr`` (the stock at the day's end) and read at a period's end.
    type : str
        SQL type (``BIGINT`` counts, ``DOUBLE`` sums of seconds).
    """

    column: str
    family: str
    measure: str
    expr: str
    stock: bool = False
    type: str = "BIGINT"

    @property
    def zero(self) -> str:
        """The SQL literal 0 of the column's type."""
        return "0.0" if self.type == "DOUBLE" else "0"


def _flow(family: str, prefix: str, measure: str, expr: str | None = None,
          type: str = "BIGINT") -> Measure:
    return Measure(f"{prefix}{measure}", family, measure, expr or measure, False, type)


def _stock(family: str, prefix: str, measure: str, expr: str) -> Measure:
    return Measure(f"{prefix}{measure}", family, measure, expr, True)


def _escalated(to_tier: str | None) -> str:
    if to_tier is None:
        return "CASE WHEN kind = '转派' THEN escalations ELSE 0 END"
    return f"CASE WHEN kind = '上报上级' AND to_tier = '{to_tier}' THEN escalations ELSE 0 END"


ROLLUP_MEASURES: tuple[Measure, ...] = (
    # flows, in table order (close_sec and closed_nodl came after the other families')
    *(_flow("incident", "", m) for m in ("reported", "void", "registered")),
    _flow("incident", "", "response_sec", type="DOUBLE"),
    *(_flow("incident", "", m) for m in ("handled", "closed", "closed_ontime", "reworked",
                                         "online", "handle_n")),
    _flow("incident", "", "handle_sec", type="DOUBLE"),
    _flow("survey", "sv_", "surveys"),
    _flow("survey", "sv_", "rated"),
    _flow("survey", "sv_", "satisfied_any", "satisfied + basic_satisfied"),
    *(_flow("escalation", "esc_", f"to_{tier}", _escalated(tier))
      for tier in ("town", "county", "city")),
    _flow("escalation", "esc_", "transfers", _escalated(None)),
    _flow("hazard", "hz_", "found"),
    _flow("hazard", "hz_", "found_major", "CASE WHEN risk_level = '重大' THEN found ELSE 0 END"),
    _flow("hazard", "hz_", "rectified"),
    _flow("hazard", "hz_", "rectified_ontime"),
    _flow("visit", "vs_", "due"),
    _flow("visit", "vs_", "visited_ontime"),
    _flow("alert", "al_", "alerts"),
    _flow("alert", "al_", "handled"),
    _flow("incident", "", "close_sec", type="DOUBLE"),
    _flow("incident", "", "closed_nodl"),
    # stocks: the day's change; the tables hold its running sum
    _stock("incident", "", "overdue_open", "due - due_closed_ontime - closed_late"),
    _stock("incident", "", "backlog", "dispatched - handled"),
    _stock("hazard", "hz_", "open", "found - rectified"),
    _stock("hazard", "hz_", "open_overdue", "due - due_rectified_ontime - rectified_late"),
    _stock("key_person", "kp_", "listed", "listed - removed"),
    *(Measure(f"kp_{slug}", "key_person", f"listed:{category}",
              f"CASE WHEN category = '{category}' THEN listed - removed ELSE 0 END", True)
      for category, slug in KEY_PERSON_SLUGS.items()),
    _stock("alert", "al_", "unhandled", "alerts - handled"),
)
"""Every measure column of the region rollups, in table order (flows, then stocks)."""

assert len({m.column for m in ROLLUP_MEASURES}) == len(ROLLUP_MEASURES), "duplicate column"
assert all(m.family in FAMILIES for m in ROLLUP_MEASURES), "unknown family"


@dataclass(frozen=True)
class Kpi:
    """One indicator.

    Attributes
    ----------
    key : str
        Stable identifier (URLs, CLI ``--kpi``, report templates).
    num, den : str
        Engine measures (and drill-through flags) for the numerator and denominator;
        ``den`` is None for counts and stocks.
    kind : str
        count (flow in the period), stock (at the period end), rate (num / den, a share
        between 0 and 1, shown as %), mean (num / den in ``unit``), quantile (the ``q``
        quantile of the duration ``num`` over the rows of ``den``, from raw rows; the
        result has no numerator and ``den`` rows as its denominator).
    family : str
        Key of ``FAMILIES``: the summary table it is computed from and the raw table its
        drill-through reads.
    split : str, optional
        A category value the KPI is restricted to (重点人群数 by category).
    q : float, optional
        For a quantile KPI, the quantile (0.5 median, 0.9 P90).
    """

    key: str
    name_zh: str
    name_en: str
    formula: str
    numerator: str
    denominator: str | None
    unit: str
    better: str
    family: str
    kind: str
    num: str
    den: str | None
    definition: str
    split: str | None = None
    q: float | None = None

    @property
    def source(self) -> str:
        """Summary table the engine reads."""
        return FAMILIES[self.family][0]

    @property
    def raw_table(self) -> str:
        """Raw table drill-through reads."""
        return FAMILIES[self.family][1]

    @property
    def drill_num(self) -> str:
        """Flag marking the rows behind the numerator (for a mean or quantile: the rows
        averaged or ranked)."""
        return self.den if self.kind in ("mean", "quantile") else self.num


def _k(key, zh, en, formula, numerator, denominator, unit, better, family, kind, num, den,
       definition, split=None, q=None) -> Kpi:
    return Kpi(key, zh, en, formula, numerator, denominator, unit, better, family, kind, num,
               den, definition, split, q)


# the three case durations: (key stem, 中文, English, from → to, rows (engine measure), rows
# in prose)
DURATIONS: dict[str, tuple[str, str, str, str, str]] = {
    "response": ("响应时长", "response time", "上报 → 立案", "registered", "期内立案的非作废案件"),
    "handle": ("处置时长", "handling time", "立案 → 处置完成", "handle_n",
               "期内结案且有立案、处置时间的非作废案件"),
    "close": ("办结时长", "time to closure", "上报 → 结案", "closed", "期内结案的非作废案件"),
}
QUANTILES: dict[str, tuple[float, str, str, str]] = {
    # key stem: (q, name prefix, English, the statistic in prose)
    "median": (0.5, "中位", "Median", "中位数"),
    "p90": (0.9, "P90", "P90", "第90百分位数(P90)"),
}


def _quantile(stem: str, which: str) -> Kpi:
    zh, en, span, rows, rows_zh = DURATIONS[stem]
    q, q_zh, q_en, statistic = QUANTILES[which]
    return _k(f"{which}_{stem}_hours", f"{q_zh}{zh}", f"{q_en} {en}",
              f"quantile_cont({span}, {q})", f"{rows_zh}的{zh}({span})的{statistic}(小时)",
              f"{rows_zh}数", "小时", "lower", "incident", "quantile", stem, rows,
              f"The exact {q_en.lower() if which == 'median' else 'P90 (90th percentile)'} "
              f"of the time from {span} (hours) over the raw rows the mean 平均{zh} averages "
              f"({rows_zh}), linear interpolation between ranks (quantile_cont).", q=q)


_CASE = "非作废案件"
KPIS: tuple[Kpi, ...] = (
    _k("reported", "上报数", "Cases reported", "count(reported_at ∈ P)", "期内上报案件数", None,
       "件", "higher", "incident", "count", "reported", None,
       "Cases with reported_at in the period, void cases included (every report is workload "
       "at intake)."),
    _k("registered", "立案数", "Cases registered", "count(registered_at ∈ P, 非作废)",
       "期内立案数", None, "件", "higher", "incident", "count", "registered", None,
       f"{_CASE} with registered_at in the period."),
    _k("closed", "结案数", "Cases closed", "count(closed_at ∈ P, 非作废)", "期内结案数", None,
       "件", "higher", "incident", "count", "closed", None,
       f"{_CASE} with closed_at in the period."),
    _k("close_rate", "结案率", "Closure rate", "结案数 / 应结案数",
       "期内结案数", "应结案数 = 期内结案数 + 期末超期未结案数", "%", "higher", "incident",
       "rate", "closed", "closed_due",
       "Cases closed in the period over the cases that had to be closed by its end: those "
       "closed in the period plus those still open at the period end past their deadline "
       "(超期数)."),
    _k("ontime_rate_closed", "按期结案率(结案口径)", "On-time closure rate (of closed)",
       "按期结案数 / 有时限结案数", "期内按期结案数 (closed_at ≤ deadline_at)",
       "期内有时限结案数 (deadline_at 非空)", "%",
       "higher", "incident", "rate", "closed_ontime", "closed_dl",
       "Of the cases closed in the period that had a deadline, the share closed no later "
       "than it (deadline_at = 立案 + category limit + approved extension). Cases without a "
       "deadline (无时限) are left out. Blind to cases still open past their deadline."),
    _k("ontime_rate_due", "按期结案率(应结口径)", "On-time closure rate (of due)",
       "按期结案数 / (有时限结案数 + 期末超期未结案数)", "期内按期结案数",
       "期内有时限结案数 + 期末超期未结案数", "%", "higher", "incident", "rate",
       "closed_ontime", "closed_dl_due",
       "Cases closed on time in the period over the cases with a deadline closed in the "
       "period plus the cases open past their deadline at the period end: overdue backlogs "
       "lower it. Cases without a deadline (无时限) are left out."),
    _k("ontime_rate", "按期结案率", "On-time closure rate",
       "按期结案率(结案口径) 或 按期结案率(应结口径), 由设置选择",
       "期内按期结案数", "依设置: 有时限结案数 或 有时限结案数 + 期末超期未结案数", "%",
       "higher", "incident", "rate", "closed_ontime", "closed_dl",
       "The official on-time closure rate: equal to ontime_rate_closed or ontime_rate_due as "
       "chosen by the setting (engine argument `ontime`, default 'closed', after CJ/T 292)."),
    _k("deadline_share", "有时限案件占比", "Cases with a time limit",
       "有时限结案数 / 结案数", "期内有时限结案数 (deadline_at 非空)", "期内结案数", "%",
       "higher", "incident", "rate", "closed_dl", "closed",
       f"Of the {_CASE} closed in the period, the share that had a deadline: the cases an "
       "on-time rate speaks for. The rest (无时限: no time limit in their source or "
       "category) are left out of 按期结案率 and 超期数."),
    _k("handle_rate", "处置率", "Handling rate", "处置数 / 应处置数", "期内处置数",
       "应处置数 = 期内处置数 + 期末已派遣未处置数", "%", "higher", "incident", "rate",
       "handled", "handled_due",
       f"{_CASE} handled (handled_at) in the period, of those dispatched, over those handled "
       "in the period plus those dispatched but not yet handled at the period end."),
    _k("rework_rate", "返工率", "Rework rate", "返工结案数 / 结案数",
       "期内结案且 rework_count > 0", "期内结案数", "%", "lower", "incident", "rate",
       "reworked", "closed",
       "Of the cases closed in the period, the share sent back at least once by 核查."),
    _k("void_rate", "作废率", "Void rate", "作废数 / 上报数", "期内上报且作废", "期内上报数",
       "%", "lower", "incident", "rate", "void", "reported",
       "Of the cases reported in the period, the share voided (duplicate, not our business, "
       "false report)."),
    _k("avg_response_hours", "平均响应时长", "Mean response time",
       "Σ(registered_at − reported_at) / 立案数", "期内立案案件的响应时长之和(小时)",
       "期内立案数", "小时", "lower", "incident", "mean", "response_hours", "registered",
       f"Mean time from 上报 to 立案 of the {_CASE} registered in the period."),
    _k("avg_handle_hours", "平均处置时长", "Mean handling time",
       "Σ(handled_at − registered_at) / 结案数", "期内结案案件的处置时长之和(小时)",
       "期内结案且有立案、处置时间的案件数", "小时", "lower", "incident", "mean",
       "handle_hours", "handle_n",
       f"Mean time from 立案 to 处置完成 of the {_CASE} closed in the period."),
    _k("avg_close_hours", "平均办结时长", "Mean time to closure",
       "Σ(closed_at − reported_at) / 结案数", "期内结案案件的办结时长(上报 → 结案)之和(小时)",
       "期内结案数", "小时", "lower", "incident", "mean", "close_hours", "closed",
       f"Mean time from 上报 to 结案 of the {_CASE} closed in the period (what published "
       "tables call 平均办结时长 or average response days)."),
    *(_quantile(stem, which) for stem in DURATIONS for which in QUANTILES),
    _k("overdue", "超期数", "Overdue open cases",
       "count(deadline_at < 期末 且 期末未结案, 非作废)", "期末超期未结案数", None, "件",
       "lower", "incident", "stock", "overdue_open", None,
       f"{_CASE} with a deadline before the period end that were not closed by it "
       "(closed_at NULL or after the period end). Cases without a deadline are never "
       "overdue."),
    _k("online_rate", "线上处置率", "Online handling rate", "线上处置结案数 / 结案数",
       "期内结案且 handled_online", "期内结案数", "%", "higher", "incident", "rate",
       "online", "closed",
       "Of the cases closed in the period, the share resolved without an on-site visit."),
    _k("satisfaction_rate", "满意率", "Satisfaction rate", "(满意 + 基本满意) / 参评数",
       "期内回访评价为满意或基本满意", "期内参评数 (rating 非空)", "%", "higher", "survey",
       "rate", "satisfied_any", "rated",
       "Of the follow-up calls made in the period (surveyed_at) that got a rating, the share "
       "rated 满意 or 基本满意."),
    _k("rating_rate", "参评率", "Rating rate", "参评数 / 回访数", "期内参评数",
       "期内回访数", "%", "higher", "survey", "rate", "rated", "surveys",
       "Of the follow-up calls made in the period, the share where the resident gave a "
       "rating (NULL rating = not reached or declined)."),
    _k("area_satisfaction_rate", "群众满意度(测评口径)", "Resident satisfaction (survey)",
       "(满意 + 基本满意) / 有效评价数", "期内测评答卷中评价为满意或基本满意的份数",
       "期内有效评价数 (rating 非空)", "%", "higher", "area_survey", "rate", "satisfied_any",
       "rated",
       "Of the answers to periodic area satisfaction surveys (群众满意度测评, tied to no case) "
       "given in the period (surveyed_at) about an area inside the region, the share rated "
       "满意 or 基本满意 among those that rated (an answer without a rating, such as 不了解, "
       "counts in 测评样本数 but not here). An answer about a region counts for it and the "
       "regions above, never for the units below it."),
    _k("area_survey_answers", "测评样本数", "Survey answers", "count(surveyed_at ∈ P)",
       "期内测评答卷份数(含未评价)", None, "份", "higher", "area_survey", "count", "answers",
       None,
       "Answers to area satisfaction surveys given in the period about an area inside the "
       "region, rated or not: the sample behind 群众满意度(测评口径)."),
    _k("escalations_town", "上报乡镇(街道)次数", "Escalations to town",
       "count(escalated_at ∈ P, kind=上报上级, to_tier=town)", "期内上报至乡镇的次数", None,
       "次", "lower", "escalation", "count", "to_town", None,
       "Hand-offs escalated to the town tier in the period (四级联动)."),
    _k("escalations_county", "上报区县次数", "Escalations to county",
       "count(escalated_at ∈ P, kind=上报上级, to_tier=county)", "期内上报至区县的次数", None,
       "次", "lower", "escalation", "count", "to_county", None,
       "Hand-offs escalated to the county tier in the period."),
    _k("escalations_city", "上报市级次数", "Escalations to city",
       "count(escalated_at ∈ P, kind=上报上级, to_tier=city)", "期内上报至市级的次数", None,
       "次", "lower", "escalation", "count", "to_city", None,
       "Hand-offs escalated to the city tier in the period."),
    _k("transfers", "转派次数", "Transfers", "count(escalated_at ∈ P, kind=转派)",
       "期内部门间转派次数", None, "次", "lower", "escalation", "count", "transfers", None,
       "Transfers between departments of the same tier in the period."),
    _k("hazards", "隐患数", "Hazards found", "count(found_at ∈ P)", "期内发现隐患数", None,
       "处", "higher", "hazard", "count", "found", None, "Hazards found in the period."),
    _k("major_hazards", "重大隐患数", "Major hazards found",
       "count(found_at ∈ P, risk_level=重大)", "期内发现重大隐患数", None, "处", "lower",
       "hazard", "count", "found_major", None,
       "Hazards of risk level 重大 found in the period."),
    _k("open_hazards", "未整改隐患数", "Open hazards",
       "count(found_at < 期末 且 期末未整改)", "期末未整改隐患数", None, "处", "lower", "hazard",
       "stock", "open", None,
       "Hazards found before the period end and not rectified by it (rectified_at NULL or "
       "after the period end)."),
    _k("hazard_rectify_rate", "隐患整改率", "Hazard rectification rate",
       "整改数 / (整改数 + 期末未整改数)", "期内整改数", "期内整改数 + 期末未整改数", "%",
       "higher", "hazard", "rate", "rectified", "rectify_due",
       "Hazards rectified in the period over those rectified in the period plus those found "
       "by the period end and still open at it."),
    _k("hazard_ontime_rate", "隐患按期整改率", "On-time hazard rectification rate",
       "按期整改数 / (整改数 + 期末超期未整改数)", "期内按期整改数 (rectified_at ≤ deadline_at)",
       "期内整改数 + 期末超期未整改数", "%", "higher", "hazard", "rate", "rectified_ontime",
       "ontime_due",
       "Hazards rectified on time in the period over those rectified in the period plus "
       "those past their deadline and still open at the period end."),
    _k("key_persons", "重点人群数", "Key persons", "count(期末在册)", "期末在册重点人员数",
       None, "人", "lower", "key_person", "stock", "listed", None,
       "Key persons listed at the period end: registered_at before it and removed_at NULL "
       "or after it."),
    *(
        _k(f"key_persons_{slug}", f"重点人群数·{cat}", f"Key persons: {en}",
           f"count(期末在册, category={cat})", f"期末在册{cat}人数", None, "人", "lower",
           "key_person", "stock", "listed", None,
           f"Key persons of category {cat} listed at the period end.", split=cat)
        for cat, (slug, en) in KEY_PERSON_CATEGORIES.items()
    ),
    _k("visit_rate", "走访率", "Visits on schedule", "按期走访数 / 应走访数",
       "期内到期且在到期日当天或之前完成的走访", "期内到期走访数 (due_date ∈ P)", "%",
       "higher", "visit", "rate", "visited_ontime", "due",
       "Of the visits due in the period, the share made on or before their due day."),
    _k("alerts", "物联告警数", "IoT alerts", "count(alerted_at ∈ P)", "期内告警数", None,
       "次", "lower", "alert", "count", "alerts", None, "Sensor alerts raised in the period."),
    _k("alert_handle_rate", "告警处置率", "Alert handling rate",
       "处置数 / (处置数 + 期末未处置数)", "期内处置告警数", "期内处置数 + 期末未处置告警数",
       "%", "higher", "alert", "rate", "handled", "handle_due",
       "Alerts handled in the period over those handled in the period plus those raised by "
       "the period end and still unhandled at it."),
)

COMPANIONS: dict[str, str] = {
    "avg_response_hours": "median_response_hours",
    "avg_handle_hours": "median_handle_hours",
    "avg_close_hours": "median_close_hours",
    "ontime_rate": "deadline_share",
    "ontime_rate_closed": "deadline_share",
    "ontime_rate_due": "deadline_share",
}
"""The KPI shown beside another wherever that one is shown: the median beside a mean
duration (a few very long cases pull a mean far from the typical case), the share of
closed cases that had a time limit beside an on-time rate (the cases the rate speaks
for)."""

FORESIGHT_KPIS: tuple[Kpi, ...] = (
    _k("risk_cases", "风险案件数", "Cases at risk of missing their deadline",
       "count(在办有时限未超期案件, 超期概率 ≥ foresight_threshold)",
       "评分时在办、时限未到且模型给出的超期概率不低于阈值的案件数", None, "件", "lower",
       "incident", "stock", "risk_cases", None,
       f"{_CASE} open at the scoring moment with a deadline not yet passed whose stored "
       "probability of missing it (the at-risk model, docs/foresight.md) is at least the "
       "setting foresight_threshold (default 0.75). Read from foresight_scores, which every "
       "import or intake batch of cases and `gridcmd foresight` rewrite; a screen never "
       "recomputes it. A stock at the scoring moment, not at a period end."),
    _k("surge_alerts", "预警数", "Surge alerts",
       "count(区域×大类 近1–3日案件数显著高于基线, BH q ≤ surge_q_level)",
       "最近一次检测中案件数异常升高的区域×大类个数（异常预警）", None, "个", "lower",
       "incident", "stock", "surge_alerts", None,
       "Region × 大类 cells (county, town or village) whose non-void reports of the last "
       "1-3 days are far above their own seasonal baseline (the surge detector, "
       "docs/foresight.md): negative-binomial p-value, Benjamini-Hochberg q ≤ the setting "
       "surge_q_level (default 0.2) within each family (a county's county cells; the "
       "city's town cells; its village cells), at least 3 cases and 1.5 times the "
       "expected count. An alert counts in its own region and those above it. Read from "
       "foresight_scores (kind 'surge'), which every import or intake batch of cases and "
       "`gridcmd foresight` rewrite; a screen never recomputes it. A stock at the "
       "detection moment."),
)
"""Counts read from the foresight models' stored results (``foresight_scores``), not from
the summary tables: the KPI engine does not compute them (``dashboard/foresight/run.py``
``risk_count`` does, scoped like every read); listed here so their names and definitions
have the registry's one home."""

_BY_KEY = {k.key: k for k in KPIS}
assert len(_BY_KEY) == len(KPIS), "duplicate KPI key"
assert set(COMPANIONS) | set(COMPANIONS.values()) <= set(_BY_KEY), "unknown companion KPI"


def foresight_kpi(key: str) -> Kpi:
    """A KPI of :data:`FORESIGHT_KPIS` by key; ValueError otherwise."""
    for k in FORESIGHT_KPIS:
        if k.key == key:
            return k
    raise ValueError(f"unknown foresight KPI {key!r}; known: "
                     f"{', '.join(k.key for k in FORESIGHT_KPIS)}")


def get(key: str) -> Kpi:
    """The KPI with this key; ValueError naming the known keys otherwise."""
    try:
        return _BY_KEY[key]
    except (KeyError, TypeError):
        raise ValueError(f"unknown KPI {key!r}; known: {', '.join(_BY_KEY)}") from None


def official_ontime(setting: str = ONTIME_DEFAULT) -> Kpi:
    """The on-time closure definition chosen by the setting ('closed' or 'due')."""
    if setting not in ONTIME_DEFINITIONS:
        raise ValueError(
            f"unknown on-time definition {setting!r}; expected one of {sorted(ONTIME_DEFINITIONS)}"
        )
    return _BY_KEY[ONTIME_DEFINITIONS[setting]]
