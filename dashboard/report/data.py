"""The 通报 (monthly or weekly) as plain data: what the writers lay out, computed once.

Every number comes from the same places the dashboard reads: headline values, 环比/同比
and the trend from ``kpis``, the sub-region league from ``score_regions``; top categories
from the ``incident_daily`` summary; the department league and the overdue list from raw
incidents (``queries/report_*.sql``), because the summary tables have no department
dimension and a list must name cases.

A report covers a calendar month or an ISO week (:class:`dashboard.periods.ReportPeriod`);
the words that differ between the two (本月/本周, 上月/上周 …) are :data:`WORDS`.
A report is built for a period the store covers at least in part and in which the scope
has activity. The first and last months of a store are usually partial (an export starting
on the 10th, the month still running): their figures cover the days the store holds, and a
note names those days; 环比 and 同比 compare the same days of the base months. A month
entirely outside the store, or without activity in the scope, raises
:class:`NoDataError`: an empty 通报 would look like a collapse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

from dashboard import levels
from dashboard.kpi.engine import kpis
from dashboard.kpi.evaluation import score_departments, score_regions
from dashboard.kpi.registry import ONTIME_DEFAULT, get, official_ontime
from dashboard.kpi.scope import LEVEL_LENGTHS, Scope
from dashboard.periods import ReportPeriod, change, report_period
from dashboard.taxonomy import level_name
from queries import names as Q
from queries import run

HEADLINE_KEYS: tuple[str, ...] = (
    "reported", "registered", "closed", "close_rate", "ontime_rate", "deadline_share",
    "rework_rate", "avg_response_hours", "median_response_hours", "avg_handle_hours",
    "median_handle_hours", "avg_close_hours", "median_close_hours", "overdue",
    "satisfaction_rate", "area_satisfaction_rate", "area_survey_answers", "hazards",
    "hazard_ontime_rate",
)
"""KPIs in the headline table, in the order a 通报 reads them: volume, closure (the share of
cases with a time limit right after the on-time rate it qualifies), speed (each mean with
its median), backlog, satisfaction (回访 of closed cases, then the area surveys' 群众满意度
and its sample), hazards."""

TREND_KEYS: tuple[str, ...] = ("reported", "close_rate", "satisfaction_rate", "avg_handle_hours")
TREND_MONTHS = 12
TREND_POINTS = {"month": TREND_MONTHS, "week": 12}
"""Periods in the trend: a monthly 通报 shows a year, a weekly one a quarter."""
TOP_CATEGORIES = 10
OVERDUE_LIMIT = 200
MIN_VOLUME = 30
"""Minimum cases (denominator of the main KPI) for a sub-region or department to be ranked:
the same default as :func:`dashboard.kpi.evaluation.score_regions`."""

LEVEL_ZH = {level: level_name(level) for level in ("city", "county", "town", "village", "grid")}
"""National level names (:func:`dashboard.taxonomy.level_name`), where a store names none."""


@dataclass(frozen=True)
class Words:
    """The words of a 通报 that name its period (:data:`WORDS`)."""

    this: str        # 本月 / 本周
    prev: str        # 上月 / 上周 (环比's base)
    yoy: str         # 去年同月 / 去年同期 (同比's base)
    end: str         # 月末 / 周末: the moment stocks (超期未结) are taken
    trend: str       # 近12个月 / 近12周 without the number: '个月' / '周'
    trend_col: str   # the trend table's first column
    title: str       # the title after the region's name

    def say(self, text: str) -> str:
        """``text`` written in the monthly 通报's words (本月, 上月, 去年同月, 月末, 月份,
        近N个月) in this period's words: the writers keep one wording and pass each line
        through this."""
        month = WORDS["month"]
        if self == month:
            return text
        for name in ("yoy", "this", "prev", "end", "trend_col", "trend"):
            text = text.replace(getattr(month, name), getattr(self, name))
        return text


WORDS = {
    "month": Words("本月", "上月", "去年同月", "月末", "个月", "月份", "月度网格化治理工作通报"),
    "week": Words("本周", "上周", "去年同期", "期末", "周", "周次（周一）", "网格化治理工作周通报"),
}


class NoDataError(ValueError):
    """The store cannot back a report for this month and region (outside its history, not
    yet complete, or no case activity in the scope)."""


class AsOfError(ValueError):
    """A report asked for an as-of moment the store has moved past: records the report
    would count arrived after it, and the summaries cannot leave them out. Only the archive
    (:mod:`dashboard.report.archive`), which kept the numbers of that moment, can give them."""


@dataclass(frozen=True)
class LateGroup:
    """Records of one kind and category that arrived after a report's as-of moment."""

    kind: str  # 'incident' | 'hazard'
    category: str
    n: int


@dataclass(frozen=True)
class Headline:
    """One headline KPI with its 环比 (previous month) and 同比 (same month a year earlier).

    ``*_value`` is None where the base month is not fully in the store; changes are None
    where a value or base is missing, relative changes also where the base is 0.
    """

    key: str
    name: str
    unit: str
    kind: str
    better: str
    value: float | None
    mom_value: float | None
    mom_change: float | None
    mom_change_rel: float | None
    mom_improved: bool | None
    yoy_value: float | None
    yoy_change: float | None
    yoy_change_rel: float | None
    yoy_improved: bool | None


@dataclass(frozen=True)
class TrendPoint:
    start: date  # the first day of the month or week
    reported: float
    close_rate: float | None
    satisfaction_rate: float | None
    avg_handle_hours: float | None


@dataclass(frozen=True)
class CategoryRow:
    rank: int
    code: str
    domain: str
    major_name: str
    minor_name: str
    reported: int
    share: float
    prev_reported: int


@dataclass(frozen=True)
class RegionRow:
    """A sub-region's line in the league: values as ``score_regions`` gives them, except
    that regions below the minimum volume get no grade (as no rank): a 通报 grade is a
    verdict, and a handful of cases cannot carry one."""

    code: str
    name: str
    rank: int | None
    ranked: bool
    grade: str | None
    score: float | None
    volume: float
    ontime_rate: float | None
    close_rate: float | None
    satisfaction_rate: float | None
    rework_rate: float | None
    avg_handle_hours: float | None


@dataclass(frozen=True)
class DepartmentRow:
    """A department's line: closed cases, on-time rate (official definition), its Wilson
    interval, the shrunk rate that ranks and grades it, and its composite score (shrunk,
    default weights) and the grade of that score from ``score_departments``; both grades
    are None for a department below the minimum volume."""

    code: str
    name: str
    tier: str | None
    rank: int | None
    ranked: bool
    grade: str | None
    closed: int
    closed_ontime: int
    closed_late: int
    overdue_open: int
    ontime_rate: float | None
    ontime_lo: float | None
    ontime_hi: float | None
    ontime_shrunk: float | None
    score: float | None = None


@dataclass(frozen=True)
class OverdueRow:
    case_no: str
    kind: str
    category: str
    grid: str
    village: str
    department: str
    reported_at: datetime
    deadline_at: datetime
    closed_at: datetime | None
    days_overdue: float


@dataclass(frozen=True)
class Report:
    """A 通报 for one region and period: everything the writers show, nothing they
    compute. ``period`` is the label (``2026-10``, ``2026-W48``), ``period_kind`` month or
    week."""

    region: str
    region_name: str
    level: str
    period: str
    date_from: date
    date_to: date
    title: str
    ontime: str
    history: tuple[datetime, datetime]
    headline: list[Headline]
    trend: list[TrendPoint]
    categories: list[CategoryRow]
    categories_total: int
    subregion_level: str | None
    subregion_label: str  # the level's display name ('' without sub-regions)
    subregion_note: str
    subregions: list[RegionRow]
    departments: list[DepartmentRow]
    min_volume: int
    overdue: list[OverdueRow]
    overdue_total: int
    overdue_open_total: int
    overdue_late_total: int
    notes: list[str] = field(default_factory=list)
    partial: bool = False
    """The store covers only ``date_from``..``date_to`` of the month (its first or last)."""
    region_source: str = ""  # the region's own code on a store built from a city's files
    as_of: datetime | None = None
    """The moment the numbers are as of (store wall time): every record that arrived by
    then is counted, none after. None for a report made without one (``build_report``
    called directly)."""
    late: list[LateGroup] = field(default_factory=list)
    """Records of the period that arrived after ``as_of``, by kind and category, as found
    at ``late_checked_at`` (empty when none had, or without an as-of)."""
    late_checked_at: datetime | None = None
    period_kind: str = "month"

    @property
    def words(self) -> Words:
        return WORDS[self.period_kind]

    @property
    def trend_label(self) -> list[str]:
        """The trend's period labels: ``2026-10``; ``11-23`` (a week by its Monday); the
        report's own period marked ``*`` when partial."""
        out = [f"{p.start:%Y-%m}" if self.period_kind == "month" else f"{p.start:%m-%d}"
               for p in self.trend]
        if out and self.partial:
            out[-1] += "*"
        return out

    @property
    def late_total(self) -> int:
        return sum(g.n for g in self.late)

    @property
    def region_codes(self) -> str:
        """``320612``, or with a source code ``D01（内部代码 000101）``."""
        if self.region_source and self.region_source != self.region:
            return f"{self.region_source}（内部代码 {self.region}）"
        return self.region

    @property
    def period_zh(self) -> str:
        """``2026年10月（2026-10-01 至 2026-10-31）``, ``2026年第48周（2026-11-23 至
        2026-11-29）``; a partial period names the days covered (``2024年6月（本月数据覆盖
        2024-06-10 至 2024-06-30）``)."""
        days = f"{self.date_from.isoformat()} 至 {self.date_to.isoformat()}"
        name = report_period(self.period, self.period_kind).zh
        return f"{name}（{self.words.this + '数据覆盖 ' if self.partial else ''}{days}）"




def store_history(con) -> tuple[datetime, datetime] | None:
    """``(start, end)`` of the time the store covers; None for a store without cases."""
    row = run(con, Q.REPORT_HISTORY).iloc[0]

    def stamp(text, fallback):
        if isinstance(text, str) and text.strip():
            try:
                return datetime.fromisoformat(text.strip())
            except ValueError:
                pass
        return None if pd.isna(fallback) else pd.Timestamp(fallback).to_pydatetime()

    start = stamp(row["meta_start"], row["first_reported"])
    end = stamp(row["meta_end"], row["last_reported"])
    return None if start is None or end is None else (start, end)


def complete(first: date, history: tuple[datetime, datetime],
             period: ReportPeriod | None = None) -> bool:
    """Whether the store covers the whole month (or ``period``'s kind of period) starting
    ``first``."""
    last = (period or ReportPeriod("month", first, first)).end_of(first)
    return covers(first, last, history)


def covers(d0: date, d1: date, history: tuple[datetime, datetime]) -> bool:
    """Whether the store covers the days ``d0``..``d1`` completely."""
    start, end = history
    return (datetime.combine(d0, datetime.min.time()) >= start
            and datetime.combine(d1 + timedelta(days=1), datetime.min.time()) <= end)


def covered_days(first: date, last: date, history: tuple[datetime, datetime]
                 ) -> tuple[date, date] | None:
    """The days of the month ``first``..``last`` the store holds data for (a day partly
    covered counts: the store's first and last day), or None when it holds none of them."""
    start, end = history
    last_day = (end - timedelta(microseconds=1)).date() if end.time() == datetime.min.time() \
        else end.date()
    d0, d1 = max(first, start.date()), min(last, last_day)
    return (d0, d1) if d0 <= d1 else None


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _region_name(con, region: str) -> tuple[str, str]:
    found = run(con, Q.REGION_REGION, code=region.ljust(12, "0"))
    if found.empty or found["short_code"].iloc[0] != region:
        raise ValueError(f"unknown region {region!r}: not in the store's regions")
    return str(found["name"].iloc[0]), str(found["level"].iloc[0])


def _headline(con, scope, period, first, last, history, ontime) -> list[Headline]:
    """Headline values with 环比 and 同比 against whole calendar months, or the week before
    and 52 weeks before (for a partial period ``first``..``last``: against the same days
    of those periods).

    The bases are :meth:`dashboard.periods.ReportPeriod.bases`, the changes
    :func:`dashboard.periods.change`.
    """
    keys = list(HEADLINE_KEYS)
    bases = period.bases(first, last)
    values = {"cur": kpis(con, scope, first, last, keys=keys, ontime=ontime)}
    for b, (b0, b1) in bases.items():
        if covers(b0, b1, history):
            values[b] = kpis(con, scope, b0, b1, keys=keys, ontime=ontime)
    values = {b: f.set_index("key")["value"] for b, f in values.items()}
    rows = []
    for key in keys:
        kpi = get(key)
        cur = _num(values["cur"][key])
        parts = {}
        for b in bases:
            base = _num(values[b][key]) if b in values else None
            diff, rel, improved = change(cur, base, kpi.better)
            parts.update({f"{b}_value": base, f"{b}_change": diff, f"{b}_change_rel": rel,
                          f"{b}_improved": improved})
        rows.append(Headline(key=kpi.key, name=kpi.name_zh, unit=kpi.unit, kind=kpi.kind,
                             better=kpi.better, value=cur, **parts))
    return rows


def _trend(con, scope, period, d0, d1, history, ontime) -> list[TrendPoint]:
    """The report's period (its covered days ``d0``..``d1``) and up to 11 whole periods
    before it: partial ones before it are left out (half a month would read as a
    collapse)."""
    first = period.first
    start = period.back(TREND_POINTS[period.kind])
    while start < first and not complete(start, history, period):
        start = period.following(start)
    frame = kpis(con, scope, start if start < first else d0, d1, keys=list(TREND_KEYS),
                 by=period.kind, ontime=ontime)
    wide = frame.pivot(index="period", columns="key", values="value")
    return [TrendPoint(start=p, reported=float(r["reported"]),
                       close_rate=_num(r["close_rate"]),
                       satisfaction_rate=_num(r["satisfaction_rate"]),
                       avg_handle_hours=_num(r["avg_handle_hours"]))
            for p, r in wide.sort_index().iterrows()]


def _categories(con, scope, period, d0, d1) -> tuple[list[CategoryRow], int]:
    prev_start, prev_end = period.bases(d0, d1)["mom"]
    frame = run(con, Q.REPORT_CATEGORIES, prefix=scope.prefix, prev_start=prev_start,
                prev_end=prev_end, month_start=d0, month_end=d1)
    frame["reported"] = frame["reported"].astype("int64")
    frame["prev_reported"] = frame["prev_reported"].astype("int64")
    total = int(frame["reported"].sum())
    top = (frame[frame["reported"] > 0]
           .sort_values(["reported", "category_code"], ascending=[False, True])
           .head(TOP_CATEGORIES))
    rows = [CategoryRow(rank=i + 1, code=r.category_code, domain=r.domain or "",
                        major_name=r.major_name or "", minor_name=r.minor_name or r.category_code,
                        reported=int(r.reported), share=r.reported / total,
                        prev_reported=int(r.prev_reported))
            for i, r in enumerate(top.itertuples())]
    return rows, total


def _subregions(con, scope, d0, d1, ontime, min_volume) -> tuple[str | None, str, str,
                                                                  list[RegionRow]]:
    lv = levels.of(con)
    if scope.level == "grid":
        return None, "", f"{level_zh(lv, scope.level)}为最低层级，无下级排名。", []
    level = lv.child_level(scope.level)
    scores = score_regions(con, scope, d0, d1, level, min_volume=min_volume, ontime=ontime)
    names = run(con, Q.REPORT_SUBREGION_NAMES, prefix=scope.prefix,
                level_len=LEVEL_LENGTHS[level])
    name_of = dict(zip(names["code"].astype(str), names["name"].astype(str), strict=True))
    rows = []
    for r in scores.to_dict("records"):
        rows.append(RegionRow(
            code=r["region"], name=name_of.get(r["region"], r["region"]),
            rank=None if pd.isna(r["rank"]) else int(r["rank"]), ranked=bool(r["ranked"]),
            grade=r["grade"] if r["ranked"] else None, score=_num(r["score_shrunk"]),
            volume=float(r["volume"]),
            ontime_rate=_num(r.get("ontime_rate")), close_rate=_num(r.get("close_rate")),
            satisfaction_rate=_num(r.get("satisfaction_rate")),
            rework_rate=_num(r.get("rework_rate")),
            avg_handle_hours=_num(r.get("avg_handle_hours"))))
    note = (f"按{level_zh(lv, level)}综合得分排名（收缩估计，权重见 docs/kpi.md）；"
            f"结案数（含无时限案件）不足 {min_volume} 件的列出但不排名、不评级；"
            "案件均无处置时限的区域不按按期结案率评价，按其余指标计分。")
    return level, level_zh(lv, level), note, rows


def level_zh(lv: levels.Levels, level: str) -> str:
    """A level's name in a report: the store's own, else the national one."""
    return lv.name(level) or LEVEL_ZH[level]


def department_ranking(con, scope, d0, d1, ontime: str = ONTIME_DEFAULT,
                       min_volume: int = MIN_VOLUME) -> list[DepartmentRow]:
    """Departments that closed or held overdue cases of the scope in the period, ranked.

    Everything comes from :func:`dashboard.kpi.evaluation.score_departments` (default
    weights): the counts, the official 按期结案率 (``ontime`` picks 结案口径 or 应结口径) of
    the department's cases in the scope with its Wilson interval and shrunk value, the
    minimum-volume flag, and the shrunk composite score, grade and rank, the same way
    regions are ranked. Only departments whose on-time denominator reaches ``min_volume``
    are ranked and graded: a bureau with 2 late cases out of 3 is listed, not shamed.

    Returns
    -------
    list of DepartmentRow
        Ranked departments by rank, then the others by closed cases (descending) and code.
    """
    scores = score_departments(con, scope, d0, d1, min_volume=min_volume, ontime=ontime)
    if scores.empty:
        return []
    frame = scores.join(scores.attrs["measures"][["closed", "closed_ontime", "closed_late",
                                                  "overdue_open"]], on="dept_code")
    frame["den"] = frame["ontime_rate_n"]
    # a department needs cases to close (with or without a time limit) to be ranked; one
    # whose cases have no limit is ranked on its other KPIs (on time: not applicable)
    frame["ranked"] = frame["ranked"] & (frame["volume"] > 0)
    frame["rank"] = (frame["score_shrunk"].where(frame["ranked"])
                     .rank(ascending=False, method="min").astype("Int64"))
    frame = frame.sort_values(["ranked", "rank", "closed", "dept_code"],
                              ascending=[False, True, False, True], na_position="last")
    rows = []
    for r in frame.to_dict("records"):
        ranked = bool(r["ranked"])
        rows.append(DepartmentRow(
            code=r["dept_code"], name=r["name"], tier=r["tier"],
            rank=int(r["rank"]) if ranked else None, ranked=ranked,
            grade=r["grade"] if ranked else None,
            closed=int(r["closed"]), closed_ontime=int(r["closed_ontime"]),
            closed_late=int(r["closed_late"]), overdue_open=int(r["overdue_open"]),
            ontime_rate=_num(r["ontime_rate"]), ontime_lo=_num(r["ontime_rate_lo"]),
            ontime_hi=_num(r["ontime_rate_hi"]),
            ontime_shrunk=_num(r["ontime_rate_shrunk"]) if r["den"] > 0 else None,
            score=_num(r["score_shrunk"])))
    return rows


def overdue_list(con, scope, d0, d1, limit: int = OVERDUE_LIMIT) -> tuple[list[OverdueRow],
                                                                          int, int]:
    """The worst ``limit`` overdue cases of the period and the counts of all of them.

    Returns ``(rows, total, open_total)``; ``total - open_total`` cases were closed late in
    the period, ``open_total`` equals the 超期数 KPI at the period end.
    """
    start = datetime.combine(d0, datetime.min.time())
    end = datetime.combine(d1 + timedelta(days=1), datetime.min.time())
    frame = run(con, Q.REPORT_OVERDUE, prefix=scope.prefix, start=start, end=end, limit=limit)
    if frame.empty:
        return [], 0, 0

    def ts(value):
        return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()

    def text(value, default=""):  # NULL arrives as None or NaN (dept of an imported case)
        return default if value is None or pd.isna(value) or value == "" else str(value)

    rows = [OverdueRow(case_no=r["case_no"], kind=r["kind"], category=text(r["category_name"]),
                       grid=text(r["grid_name"]), village=text(r["village_name"]),
                       department=text(r["dept_name"], "（未派遣）"),
                       reported_at=ts(r["reported_at"]), deadline_at=ts(r["deadline_at"]),
                       closed_at=ts(r["closed_at"]), days_overdue=float(r["days_overdue"]))
            for r in frame.to_dict("records")]
    return rows, int(frame["total"].iloc[0]), int(frame["open_total"].iloc[0])


def _bounds(d0: date, d1: date) -> tuple[datetime, datetime]:
    return (datetime.combine(d0, datetime.min.time()),
            datetime.combine(d1 + timedelta(days=1), datetime.min.time()))


def late_arrivals(con, scope: Scope, d0: date, d1: date, as_of: datetime) -> list[LateGroup]:
    """Records reported (hazards: found) in ``d0``..``d1`` in the scope that arrived after
    ``as_of`` (``queries/report/late.sql``: the finish of the import batch that last wrote
    the record, else its registration), largest groups first."""
    start, end = _bounds(d0, d1)
    frame = run(con, Q.REPORT_LATE, prefix=scope.prefix, start=start, end=end, as_of=as_of)
    return [LateGroup(kind=str(r.kind), category=str(r.category), n=int(r.n))
            for r in frame.itertuples()]


def build_report(con, scope: Scope, period, *, ontime: str = ONTIME_DEFAULT,
                 min_volume: int = MIN_VOLUME, overdue_limit: int = OVERDUE_LIMIT,
                 as_of: datetime | None = None) -> Report:
    """Compute the 通报 of a region for a month or an ISO week.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection (read-only is enough) on a store with refreshed summary tables.
    scope : Scope
        The region reported on; every number is restricted to it.
    period : str, date or ReportPeriod
        ``'YYYY-MM'`` (or any day of the month) for a monthly 通报, ``'YYYY-Www'`` for a
        weekly one (:func:`dashboard.periods.report_period`).
    ontime : {'closed', 'due'}
        The official 按期结案率 (the ``kpi_ontime`` setting), used by the headline, the
        sub-region scores and the department ranking alike.
    min_volume : int
        Minimum denominator of the on-time rate for a sub-region or department to be
        ranked and graded.
    overdue_limit : int
        Cases listed in the overdue list (the worst first); totals always count all.
    as_of : datetime, optional
        The moment the numbers are as of (store wall time), printed in the report. The
        numbers are the store's as it is, so no record they count may have arrived after
        it: records reported in the period, its trend or its bases that arrived later
        raise :class:`AsOfError` (the archive keeps the numbers of earlier moments,
        :mod:`dashboard.report.archive`).

    Returns
    -------
    Report

    Raises
    ------
    ValueError
        Malformed month or week, unknown region.
    NoDataError
        The store holds no day of the period (before its history or after it), or the
        scope has no case reported, closed or overdue in it. A period the store covers in
        part (its first or last) is reported over the days covered, with a note.
    AsOfError
        ``as_of`` is earlier than records the report would count.
    """
    if not isinstance(scope, Scope):
        raise ValueError(f"a Scope is required, got {type(scope).__name__}")
    official_ontime(ontime)
    period = report_period(period)
    words = WORDS[period.kind]
    label, unit = period.label, ("month" if period.kind == "month" else "week")
    name, level = _region_name(con, scope.region)
    history = store_history(con)
    if history is None:
        raise NoDataError(f"no data for {unit} {label}: the store holds no cases")
    span = covered_days(period.first, period.last, history)
    if span is None:
        raise NoDataError(
            f"no data for {unit} {label}: the store covers {history[0]:%Y-%m-%d %H:%M} to "
            f"{history[1]:%Y-%m-%d %H:%M}, no day of that {unit}")
    first, last = span
    partial = span != (period.first, period.last)

    if as_of is not None:
        since = min(period.back(TREND_POINTS[period.kind]), period.bases(first, last)["yoy"][0])
        late = late_arrivals(con, scope, since, last, as_of)
        if late:
            n = sum(g.n for g in late)
            raise AsOfError(
                f"as of {as_of:%Y-%m-%d %H:%M} cannot be reported for {label} in region "
                f"{scope.region}: {n} record(s) of {since:%Y-%m-%d} to {last:%Y-%m-%d} "
                "arrived after it and the store's summaries count them; use a later as-of, "
                "or the archived report of that moment")
    headline = _headline(con, scope, period, first, last, history, ontime)
    by_key = {h.key: h for h in headline}
    if not any(by_key[k].value for k in ("reported", "closed", "overdue")):
        raise NoDataError(f"no data for {unit} {label} in region {scope.region} ({name}): "
                          "no case reported, closed or overdue")

    trend = _trend(con, scope, period, first, last, history, ontime)
    categories, total = _categories(con, scope, period, first, last)
    sub_level, sub_label, sub_note, subregions = _subregions(con, scope, first, last, ontime,
                                                             min_volume)
    departments = department_ranking(con, scope, first, last, ontime, min_volume)
    overdue, overdue_total, open_total = overdue_list(con, scope, first, last, overdue_limit)

    notes = [
        f"统计口径：按期结案率采用{official_ontime(ontime).name_zh.split('(')[-1].rstrip(')')}；"
        "无处置时限的案件（无时限）不计入按期结案率的分子分母，也不计超期，有时限案件占比为"
        f"有时限的结案数占结案数的比例；超期数为{words.end}仍未结案且已过处置时限的案件数；"
        "中位与平均时长按同一批案件计算。",
        f"部门排名按部门处置的本辖区案件计算，结案数（含无时限案件）不足 {min_volume} 件的部门"
        "列出但不排名、不评级；部门与区域同法：按默认权重六项指标的综合得分（收缩估计）排名，"
        "等级 A≥90、B≥75、C≥60、D≥40、E<40。",
    ]
    if period.kind == "week":
        notes.append("周通报按自然周（周一至周日）统计；环比为上一周，同比为 52 周前的同一周"
                     "（星期对齐）。")
    if partial:
        base_words = f"{words.prev}、{words.yoy}"
        notes.append(f"{words.this}数据覆盖 {first.isoformat()} 至 {last.isoformat()}（库中数据"
                     f"{'始于' if first > period.first else '止于'}{words.this}），各项指标按这些"
                     "日期统计，期末存量取覆盖的最后一天结束时；环比、同比为"
                     f"{base_words}的相同日期；趋势图中{words.this}为部分周期。")
    if by_key["reported"].mom_value is None:
        notes.append(f"{words.prev}数据不完整，未计算环比。")
    if by_key["reported"].yoy_value is None:
        notes.append(f"{words.yoy}数据不完整，未计算同比。")
    return Report(
        region=scope.region, region_name=name, level=level, period=label, date_from=first,
        date_to=last, title=f"{name}{words.title}", ontime=ontime, history=history,
        headline=headline, trend=trend, categories=categories, categories_total=total,
        subregion_level=sub_level, subregion_label=sub_label, subregion_note=sub_note,
        subregions=subregions,
        departments=departments, min_volume=min_volume, overdue=overdue,
        overdue_total=overdue_total, overdue_open_total=open_total,
        overdue_late_total=overdue_total - open_total, notes=notes, partial=partial,
        region_source=levels.source_code(con, scope.region) or "", as_of=as_of,
        late_checked_at=as_of, period_kind=period.kind)
