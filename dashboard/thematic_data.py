"""What the thematic analysis pages show, as plain data (隐患, 重点人群, 时效, 满意度, 四级联动,
物联预警, and the 事件 page's repeated-complaint places and hotspot points).

Every function takes the user's scope (from the session) and the :class:`Filters` (from the
URL) and reads through one query per page whose filter block is written once and included
(``hazards_filtered``, ``persons_filtered``, ``sensors_filtered``, ``cases_filtered``), so a
page's charts, lists and map layer count the same rows. Which rows a page counts:

* 隐患: hazards found in the period; their rectification state is the state now.
* 重点人群: persons listed at the period end; visits of theirs due in the period.
* 时效: cases reported in the period (the cohort), their stages and time-limit states now.
* 满意度: follow-ups made in the period (as 满意率), of cases the other filters select.
* 四级联动: escalations and transfers made in the period, cases closed in it, and cases
  open now, of cases the other filters select.
* 物联预警: sensors installed by the period end; alerts raised in the period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from dashboard import cases_data, privacy
from dashboard.access import Forbidden
from dashboard.cases_data import SATISFACTION_UNIT_LENGTHS, period_table_scope
from dashboard.filters import Filters
from dashboard.kpi.scope import REGION_LENGTHS, Scope, unplaced_unit
from dashboard.periods import months_back, whole_months
from queries import names as Q
from queries import run

MAX_POINTS = 5000
POINT_LAYERS = ("incident", "hazard", "sensor")


def _bounds(filters: Filters, now: datetime) -> tuple[datetime, datetime]:
    d0, d1 = filters.span(now.date())
    return (datetime.combine(d0, datetime.min.time()),
            datetime.combine(d1 + timedelta(days=1), datetime.min.time()))


def _split(rows: pd.DataFrame, facets) -> dict[str, pd.DataFrame]:
    out = {f: rows[rows["facet"] == f].drop(columns="facet").reset_index(drop=True)
           for f in facets}
    for f in ("unit", "unit_category"):
        # rows attributed to the region above the units but to none of them (placeholder
        # points placed by a ward, or not at all) are no unit of the map or table
        if f in out and len(out[f]):
            keep = np.array([not unplaced_unit(str(k)) for k in out[f]["key"]], dtype=bool)
            out[f] = out[f][keep].reset_index(drop=True)
    return out


def unit_length(con, scope: Scope) -> int:
    """Length of the map unit codes below ``scope`` (a grid scope maps its own grid)."""
    return cases_data.unit_length(con, scope.prefix)


def _base(user: Scope, filters: Filters, now: datetime) -> dict:
    """Scope, period and grids: the parameters every filter block takes."""
    p = filters.params(user, now.date(), incidents=False)
    return {"prefix": p["prefix"], "start": p["start"], "end": p["end"], "grids": p["grids"]}


def _hazard_params(user: Scope, filters: Filters, now: datetime) -> dict:
    return {**_base(user, filters, now), "types": list(filters.hazard_types) or None,
            "risks": list(filters.risks) or None, "now": now}


def _sensor_params(user: Scope, filters: Filters, now: datetime) -> dict:
    return {**_base(user, filters, now), "types": list(filters.sensor_types) or None}


def _person_params(user: Scope, filters: Filters, now: datetime) -> dict:
    base = _base(user, filters, now)
    return {"prefix": base["prefix"], "end": base["end"], "grids": base["grids"],
            "cats": list(filters.person_categories) or None}


def _case_keys(user: Scope, filters: Filters, now: datetime) -> dict:
    """The case filters without the report window: the pages that read the analysis read
    tables (``theme/case_keys.sql``) select rows by a period of their own."""
    params = filters.params(user, now.date())
    del params["start"], params["end"]
    return params


# --- 隐患 ----------------------------------------------------------------------------------


def hazards(con, user: Scope, filters: Filters, now: datetime,
            overdue_limit: int = 12) -> dict:
    """The hazards page: counts per type, risk, state, unit and day, and the most overdue.

    Returns
    -------
    dict
        ``type``, ``risk``, ``state``, ``unit``, ``day``, ``rectified_day``: frames with
        ``key``, ``n``, ``overdue``; ``overdue_list``: the open hazards past their deadline,
        most overdue first; ``total``: hazards found.
    """
    params = _hazard_params(user, filters, now)
    unit_len = unit_length(con, filters.scope(user))
    rows = run(con, Q.THEME_HAZARD_FACETS, **params, unit_len=unit_len)
    out = _split(rows, ("type", "risk", "state", "unit", "day", "rectified_day"))
    out["total"] = int(out["state"]["n"].sum())
    out["overdue_list"] = run(con, Q.THEME_HAZARD_OVERDUE, **params, limit=overdue_limit)
    return out


# --- 重点人群 --------------------------------------------------------------------------------


def persons(con, user: Scope, filters: Filters, now: datetime, cleared: bool) -> dict:
    """The key-population page: counts and visit coverage per category, risk and unit.

    For users without clearance every person count comes from the jurisdiction's
    protected table (:func:`_publish`, :func:`dashboard.privacy.protect`): "<5" and "*"
    where hidden, the densities and visit figures of hidden cells withheld.

    Returns
    -------
    dict
        ``category``, ``risk``: frames with ``key``, ``persons``, ``due``, ``ontime``,
        ``late``, ``missed``; ``unit``: the same plus ``residents`` and ``per_10k`` (persons
        per 10,000 residents); ``unit_category``: ``key`` (unit), ``key2`` (category),
        ``persons``; ``total`` persons, ``due``/``ontime``/``missed`` visits and
        ``level`` of the units.
    """
    scope = filters.scope(user)
    unit_len = unit_length(con, scope)
    level = REGION_LENGTHS[unit_len]
    start, _ = _bounds(filters, now)
    rows = run(con, Q.THEME_PERSON_FACETS, **_person_params(user, filters, now), start=start,
               today=now.date(), unit_len=unit_len)
    out = _split(rows, ("category", "risk", "unit", "unit_category"))
    for name in ("category", "risk", "unit_category"):
        out[name] = out[name].drop(columns="residents")
    unit = out["unit"].copy()
    unit["per_10k"] = unit["persons"] / unit["residents"].where(unit["residents"] > 0) * 1e4
    out["unit"] = unit
    out["category"] = out["category"].sort_values("persons", ascending=False,
                                                  ignore_index=True)
    cat = out["category"]
    out["total"] = int(cat["persons"].sum())
    out["due"], out["ontime"], out["missed"] = (int(cat[c].sum()) for c in
                                                ("due", "ontime", "missed"))
    out["level"] = level
    if not cleared:
        _publish(out, con, user, filters, scope, _person_params(user, filters, now)["end"])
    names = run(con, Q.REGION_UNIT_NAMES, prefix=scope.prefix, unit_len=unit_len)
    out["unit_names"] = dict(zip(names["key"], names["name"], strict=True))
    return out


def _publish(out: dict, con, user: Scope, filters: Filters, scope: Scope,
             end: datetime) -> None:
    """The page's person counts for a user without clearance, from the jurisdiction's
    protected table (:func:`dashboard.privacy.protected_counts`) at the period end.

    Every count shown is a cell of that table or a sum of shown cells (a set of grids, a
    set of categories); anything that would add a hidden cell reads as its marker, and
    what would give a hidden count back (a density, the visits of a hidden category, the
    counts by risk level, which the table does not cover) is withheld.
    """
    table = privacy.protected_counts(con, user.prefix, end)
    cats = tuple(filters.person_categories) or None
    picked = list(filters.grids)

    def where(unit: str) -> list[str]:
        return [g for g in picked if g.startswith(unit)] if picked else [unit]

    unit = out["unit"]
    unit["persons"] = pd.Series([table.total(where(u), cats) for u in unit["key"]],
                                dtype=object)
    unit["per_10k"] = unit["per_10k"].where([isinstance(v, int) for v in unit["persons"]])
    # every unit × category, not only those with persons: a missing one would read 0
    shown_cats = [c for c in table.categories if cats is None or c in cats]
    uc = pd.DataFrame([(u, c) for u in unit["key"] for c in shown_cats], columns=["key", "key2"])
    uc["persons"] = pd.Series([table.total(where(u), [c]) for u, c in
                               zip(uc["key"], uc["key2"], strict=True)], dtype=object)
    out["unit_category"] = uc
    whole = picked or [scope.prefix]
    cat = out["category"].copy()
    cat["persons"] = pd.Series([table.total(whole, [c]) for c in cat["key"]], dtype=object)
    hidden = [not isinstance(v, int) for v in cat["persons"]]
    for column in ("due", "ontime", "late", "missed"):
        cat[column] = cat[column].where([not h for h in hidden])
    out["category"] = cat
    out["risk"] = out["risk"].iloc[0:0]
    out["total"] = table.total(whole, cats)
    if not isinstance(out["total"], int):
        out["due"] = out["ontime"] = out["missed"] = None


def person_list(con, user: Scope, filters: Filters, now: datetime, *, cleared: bool,
                audit, limit: int = 50) -> list[dict]:
    """The filtered persons, masked, missed visits first; only for users with clearance.

    Raises :class:`dashboard.access.Forbidden` without clearance. ``audit(action, what,
    ids)`` is called with the ids shown before the rows are returned.
    """
    if not cleared:
        raise Forbidden("no clearance for person lists")
    start, _ = _bounds(filters, now)
    rows = run(con, Q.THEME_PERSON_LIST, **_person_params(user, filters, now), start=start,
               today=now.date(), limit=int(limit)).to_dict("records")
    out = [{**privacy.masked(r), "missed": int(r["missed"]),
            "last_visit": None if pd.isna(r["last_visit"]) else pd.Timestamp(r["last_visit"])}
           for r in rows]
    audit("list", f"persons {filters.scope(user).region} (重点人群页)", [r["id"] for r in out])
    return out


# --- 时效 ----------------------------------------------------------------------------------


# Durations are binned on a log scale, 100 bins a decade: bin k holds hours in
# [10^(k/100), 10^((k+1)/100)) (hours under 0.001, and 0, in the bin of 0.001); a bin
# stands for its geometric middle, within 1.16 % of every value in it (docs/analysis.md).
BINS_PER_DECADE = 100
BIN_ERROR = 10 ** (0.5 / BINS_PER_DECADE) - 1  # 0.01158: largest relative error of a value
BIN_FLOOR = 0.001  # hours; values below are read as the floor's bin
BIN_ABS = BIN_FLOOR * (1 + BIN_ERROR)  # 0.00102 h (3.7 s): largest error near 0 hours


def hist_quantile(bins, counts, qs) -> list[float]:
    """Quantiles ``qs`` of the values behind a histogram of :data:`BINS_PER_DECADE` log
    bins (``bins``: bin numbers, ``counts``: values in each), with pandas' default
    (linear) interpolation between the ranks around ``q · (n − 1)``, each rank read as
    the middle of its bin. Error: at most :data:`BIN_ERROR` × the exact quantile plus
    :data:`BIN_ABS` hours (tested against pandas over the raw rows)."""
    order = np.argsort(np.asarray(bins, dtype=float), kind="stable")
    b = np.asarray(bins, dtype=float)[order]
    c = np.asarray(counts, dtype=np.int64)[order]
    n = int(c.sum())
    if n == 0:
        return [float("nan")] * len(qs)
    upto = np.cumsum(c)  # ranks < upto[i] are in bin i
    mids = 10.0 ** ((b + 0.5) / BINS_PER_DECADE)

    def at(rank: int) -> float:
        return float(mids[np.searchsorted(upto, rank, side="right")])

    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n - 1)
        v = at(lo)
        out.append(v + (pos - lo) * (at(hi) - v) if hi != lo else v)
    return out


QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
STAGES = ("上报", "立案", "派遣", "处置", "核查", "结案")
DURATION_LABELS = {"response": "响应时长（上报→立案）", "handle": "处置时长（立案→处置）",
                   "close": "办结时长（上报→结案）"}


def _dist(bins: list, counts: list, sums: list, qs=QUANTILES) -> dict:
    """n, mean and quantiles of histogram rows (bin, n, hours_sum)."""
    n = int(sum(counts))
    mean = float(sum(sums)) / n if n else float("nan")
    return {"n": n, "mean_hours": mean, "q": hist_quantile(bins, counts, qs)}


def timeliness(con, user: Scope, filters: Filters, now: datetime) -> dict:
    """The response-time page: the funnel, time-limit lights, distributions and trend.

    A whole city or one county without other filters reads the period tables
    (``timeliness_city``: the period's months and days, per county); any other filter the
    period's filtered cases; both give the same rows
    (``queries/analysis/timeliness_rows.sql``). Medians and P10–P90 come from log-binned
    histograms (:func:`hist_quantile`: within 1.16 % + 0.00102 h of the exact quantile);
    counts and means are exact.

    Returns
    -------
    dict
        ``stages`` (ord, stage, reached, mean/median/p90 hours from the previous stage);
        ``light`` (key = state, n; registered cases without a deadline are ``无时限``);
        ``duration`` (key response / handle / close with the registry's per-case
        definitions, label, n, mean_hours, p10…p90); ``tier`` (key, label, n, n_dl,
        ontime, mean_hours, p10…p90); ``department``, ``major``, ``week`` (key, label, n
        closed, n_dl of them with a deadline, ontime, mean_hours).
    """
    params = filters.params(user, now.date())
    if period_table_scope(params):
        m0, m1 = whole_months(params["start"], params["end"])
        rows = run(con, Q.THEME_TIMELINESS_CITY, **params, m_start=m0, m_end=m1, now=now)
    else:
        rows = run(con, Q.THEME_TIMELINESS_CASES, **params, now=now)
    return _timeliness_frames(rows)


def _timeliness_frames(rows: pd.DataFrame) -> dict:
    """The page's frames from the summed rows (one pass over a few thousand rows)."""
    reached: dict[str, int] = {}
    light: dict[str, int] = {}
    hist: dict[tuple, list[list]] = {}  # (facet, key, key2) -> [bins, counts, sums, dl, ok]
    sums: dict[tuple, list] = {}  # (facet, group key) -> [label, n, n_dl, ontime, hours]
    cols = [rows[c].tolist() for c in ("facet", "key", "key2", "bin", "n", "n_dl", "ontime",
                                       "hours_sum", "label")]
    for facet, key, key2, b, n, n_dl, ontime, hours, label in zip(*cols, strict=True):
        n, n_dl, ontime = int(n), int(n_dl), int(ontime)
        if facet == "reached":
            reached[key] = reached.get(key, 0) + n
        elif facet == "light":
            light[key] = light.get(key, 0) + n
        elif facet in ("stage", "duration"):
            h = hist.setdefault((facet, key, key2), [[], [], [], 0, 0])
            h[0].append(b)
            h[1].append(n)
            h[2].append(hours)
            h[3] += n_dl
            h[4] += ontime
        else:  # department (by name), major, week
            group = label if facet == "department" else key
            g = sums.setdefault((facet, group), [label, 0, 0, 0, 0.0])
            g[1] += n
            g[2] += n_dl
            g[3] += ontime
            g[4] += hours

    def merged(facet: str, key: str) -> list[list]:
        parts = [h for (f, k, _), h in hist.items() if f == facet and k == key]
        return [sum((p[i] for p in parts), []) for i in range(3)]

    srows = []
    for i, name in enumerate(STAGES, start=1):
        r = {"ord": i, "stage": name, "reached": reached.get(str(i), 0),
             "mean_hours": float("nan"), "median_hours": float("nan"),
             "p90_hours": float("nan")}
        h = merged("stage", str(i))
        if i > 1 and h[0]:
            d = _dist(*h, qs=(0.5, 0.9))
            r.update(mean_hours=d["mean_hours"], median_hours=d["q"][0], p90_hours=d["q"][1])
        srows.append(r)
    out = {"stages": pd.DataFrame(srows)}
    out["light"] = pd.DataFrame(sorted(light.items()), columns=["key", "n"])
    qcols = ["p10", "p25", "p50", "p75", "p90"]
    drows = []
    for key in sorted(DURATION_LABELS):
        h = merged("duration", key)
        if h[0]:
            d = _dist(*h)
            drows.append({"key": key, "label": DURATION_LABELS[key], "n": d["n"],
                          "mean_hours": d["mean_hours"], **dict(zip(qcols, d["q"],
                                                                   strict=True))})
    out["duration"] = pd.DataFrame(drows, columns=["key", "label", "n", "mean_hours", *qcols])
    trows = []
    for (facet, key, tier), h in sorted(hist.items()):
        if facet == "duration" and key == "handle":
            d = _dist(h[0], h[1], h[2])
            trows.append({"key": tier, "label": tier, "n": d["n"], "n_dl": h[3],
                          "ontime": h[4], "mean_hours": d["mean_hours"],
                          **dict(zip(qcols, d["q"], strict=True))})
    out["tier"] = pd.DataFrame(trows, columns=["key", "label", "n", "n_dl", "ontime",
                                               "mean_hours", *qcols])
    for facet in ("department", "major", "week"):
        frows = [{"key": group, "label": g[0], "n": g[1], "n_dl": g[2], "ontime": g[3],
                  "mean_hours": g[4] / g[1]}
                 for (f, group), g in sums.items() if f == facet]
        out[facet] = pd.DataFrame(frows, columns=["key", "label", "n", "n_dl", "ontime",
                                                  "mean_hours"])
    out["department"] = out["department"].sort_values(["n", "key"], ascending=[False, True],
                                                      ignore_index=True)
    for facet in ("major", "week"):
        out[facet] = out[facet].sort_values("key", ignore_index=True)
    return out


def at_risk(con, user: Scope, filters: Filters, threshold: float, limit: int = 30) -> dict:
    """The 时效 page's 即将超期风险 panel: the stored at-risk queue of the filtered region
    (``foresight_scores``, written after every import or intake batch; never recomputed
    here), the most likely first, and 风险案件数 (registry ``risk_cases``: stored open
    cases with probability ≥ ``threshold``); ``foresight.run.risk_panel``.

    The region filter narrows the user's scope (``Filters.scope``: a region outside it is
    refused); the other filters do not apply (the queue is of the cases open now).
    """
    from dashboard.foresight.run import risk_panel

    return risk_panel(con, filters.scope(user), threshold, limit)


# --- 满意度 --------------------------------------------------------------------------------


# map unit lengths satisfaction_city's town keys (9 digits) give by their prefixes


def satisfaction(con, user: Scope, filters: Filters, now: datetime) -> dict:
    """The satisfaction page: follow-ups of the period per 大类, department, unit, handling
    band and rating, and the 12 months up to the period end per month.

    A whole city or one county without other filters reads the period table
    ``satisfaction_city`` (the period's months and days, per county; exact counts and
    sums, the same rows as the filtered path); any other filter the period's rows of
    ``survey_case_daily`` under the case filters.

    Returns
    -------
    dict
        ``major``, ``department``, ``unit``, ``band``, ``rating`` (key, label, surveys,
        rated, satisfied, unsatisfied, mean_hours); ``month`` for the 12-month trend;
        ``surveys``, ``rated``, ``satisfied`` totals of the period.
    """
    params = _case_keys(user, filters, now)
    unit_len = unit_length(con, filters.scope(user))
    s_start, s_end = _bounds(filters, now)
    facets = ("month", "major", "department", "unit", "band", "rating")

    def read(start: datetime, end: datetime) -> pd.DataFrame:
        # a whole city or county without case filters (map units of 6 or 9 digits): the
        # period table's months and days (migration 017); otherwise the filtered rows
        if period_table_scope(params) and unit_len in SATISFACTION_UNIT_LENGTHS:
            m0, m1 = whole_months(start, end)
            return run(con, Q.THEME_SATISFACTION_CITY, prefix=params["prefix"],
                       s_start=start, s_end=end, m_start=m0, m_end=m1, unit_len=unit_len)
        return run(con, Q.THEME_SATISFACTION, **params, s_start=start, s_end=end,
                   unit_len=unit_len)

    out = _split(read(s_start, s_end), facets)
    first = datetime.combine(months_back(s_end.date() - timedelta(days=1), 12),
                             datetime.min.time())
    trend = read(first, s_end)
    out["month"] = trend[trend["facet"] == "month"].drop(columns="facet").reset_index(drop=True)
    rating = out["rating"]
    for name in ("surveys", "rated", "satisfied"):
        out[name] = int(rating[name].sum())
    out["department"] = out["department"].sort_values(["surveys", "key"],
                                                      ascending=[False, True],
                                                      ignore_index=True)
    out.update(area_surveys(con, user, filters, now, unit_len))
    return out


def area_surveys(con, user: Scope, filters: Filters, now: datetime,
                 unit_len: int | None = None) -> dict:
    """The 满意度 page's 群众满意度测评 panels: answers of the region and period (the case
    filters do not apply to answers tied to no case) by map unit, respondent group and
    rating, and 群众满意度(测评口径) per month over the 12 months up to the period end from
    the KPI engine (the number the KPI strip, the overview and the 通报 show).

    Returns
    -------
    dict
        ``area_unit``, ``area_group``, ``area_rating`` (key, answers, rated, satisfied,
        unsatisfied); ``area_month`` (key = month start, value, numerator, denominator);
        ``area_answers``, ``area_rated``, ``area_satisfied`` totals of the period;
        ``area_unit_names``.
    """
    from dashboard.kpi.engine import kpis

    scope = filters.scope(user)
    unit_len = unit_len or unit_length(con, scope)
    start, end = _bounds(filters, now)
    rows = run(con, Q.THEME_AREA_SURVEYS, prefix=scope.prefix, start=start, end=end,
               unit_len=unit_len)
    out = {f"area_{k}": v for k, v in _split(rows, ("unit", "group", "rating")).items()}
    rating = out["area_rating"]
    for name in ("answers", "rated", "satisfied"):
        out[f"area_{name}"] = int(rating[name].sum())
    last = end.date() - timedelta(days=1)
    month = kpis(con, scope, months_back(last, 12), last, keys=["area_satisfaction_rate"],
                 by="month")
    out["area_month"] = month.drop(columns="key").rename(columns={"period": "key"})[
        ["key", "value", "numerator", "denominator"]]
    names = run(con, Q.REGION_UNIT_NAMES, prefix=scope.prefix, unit_len=unit_len)
    out["area_unit_names"] = dict(zip(names["key"], names["name"], strict=True))
    return out


# --- 四级联动 -------------------------------------------------------------------------------


def linkage(con, user: Scope, filters: Filters, now: datetime) -> dict:
    """The four-tier linkage page: escalation flows, transfers, final and pending tiers
    and the hours spent at each tier.

    A whole city or one county without other filters reads the period table
    ``linkage_city`` (the period's months and days, per county); any other filter the
    period's days of ``handoff_daily`` and ``closure_stays`` under the case filters; 在办
    reads ``open_case_keys``. The median stay comes from log-binned histograms
    (:func:`hist_quantile`); counts and means are exact.

    Returns
    -------
    dict
        ``flow`` (key from tier, key2 to tier, n), ``transfer`` (key from department, key2
        to department, n; most first), ``final`` and ``pending`` (key tier, n), ``dwell``
        (key tier, n, mean_hours, median_hours).
    """
    p_start, p_end = _bounds(filters, now)
    params = _case_keys(user, filters, now)
    if period_table_scope(params):
        m0, m1 = whole_months(p_start, p_end)
        rows = run(con, Q.THEME_LINKAGE_CITY, **params, p_start=p_start, p_end=p_end,
                   m_start=m0, m_end=m1, now=now)
    else:
        rows = run(con, Q.THEME_LINKAGE, **params, p_start=p_start, p_end=p_end, now=now)
    out = {}
    for facet in ("flow", "transfer", "final", "pending"):
        f = rows[rows["facet"] == facet]
        out[facet] = f[["key", "key2", "n"]].astype({"n": "int64"}).reset_index(drop=True)
    dwell = rows[rows["facet"] == "dwell"]
    drows = []
    for tier, h in dwell.groupby("key", sort=True):
        d = _dist(h["bin"].tolist(), h["n"].tolist(), h["hours_sum"].tolist(), (0.5,))
        drows.append({"key": tier, "key2": "", "n": d["n"], "mean_hours": d["mean_hours"],
                      "median_hours": d["q"][0]})
    out["dwell"] = pd.DataFrame(drows, columns=["key", "key2", "n", "mean_hours",
                                                "median_hours"])
    out["transfer"] = out["transfer"].sort_values(["n", "key", "key2"],
                                                  ascending=[False, True, True],
                                                  ignore_index=True)
    return out


# --- 物联预警 -------------------------------------------------------------------------------


def iot(con, user: Scope, filters: Filters, now: datetime, alert_limit: int = 12) -> dict:
    """The IoT page: sensors per type (alarming now), alerts of the period per type, level,
    unit and day with handling times, and the unhandled alerts.

    Returns
    -------
    dict
        ``sensors`` (key type, n, alarming); ``type``, ``level``, ``unit``, ``day`` (key,
        n alerts, handled, mean/median/p90 minutes); ``open_list``; ``total`` alerts.
    """
    params = _sensor_params(user, filters, now)
    unit_len = unit_length(con, filters.scope(user))
    rows = run(con, Q.THEME_IOT, **params, now=now, unit_len=unit_len)
    out = _split(rows, ("sensors", "type", "level", "unit", "day"))
    out["total"] = int(out["type"]["n"].sum())
    out["open_list"] = run(con, Q.THEME_IOT_ALERTS, **params, now=now, limit=alert_limit)
    return out


# --- 事件: repeated complaints, and map points of any page --------------------------------


# places tried per row asked for, to bound the count a repeat place needs
# (theme/repeat_places_bound.sql): more tries, a tighter bound, a longer first step
REPEAT_BOUND_TRIES = 20
# a shorter period counts every place: its few cases cost less than the bound's own step
# (at 10M: 30 days 110 ms without, 162 ms with; three years 2.1 s without, 0.3 s with)
REPEAT_BOUND_AFTER_DAYS = 92


def repeat_places(con, user: Scope, filters: Filters, now: datetime, min_cases: int = 3,
                  limit: int = 10) -> pd.DataFrame:
    """Places (same 小类, ~100 m, same grid) with at least ``min_cases`` filtered cases.

    With ``min_cases`` at least :data:`REPEAT_MIN_CASES` (the page's 3) they come from
    ``repeat_place_cases`` (migration 017: every case of the places with that many cases),
    for any filter, and only of the places whose number of cases in all reaches a bound on
    the ``limit``-th count (``theme/repeat_places_bound.sql``); a smaller threshold reads
    the period's filtered cases. Same rows."""
    from dashboard.kpi.summaries import REPEAT_MIN_CASES

    params = {**filters.params(user, now.date()), "min_cases": int(min_cases),
              "limit": int(limit)}
    if min_cases < REPEAT_MIN_CASES:
        return run(con, Q.THEME_REPEAT_PLACES, **params)
    bound = None
    if params["end"] - params["start"] > timedelta(days=REPEAT_BOUND_AFTER_DAYS):
        # only the places that can reach the first rows (theme/repeat_places_bound.sql)
        (bound,), = run(con, Q.THEME_REPEAT_PLACES_BOUND, **params, form="rows",
                        k=min(REPEAT_BOUND_TRIES * int(limit), 2**31 - 1))
    return run(con, Q.THEME_REPEAT_PLACES_TABLE, **params,
               bound=int(min_cases) if bound is None else int(bound))


def points(con, user: Scope, filters: Filters, now: datetime, layer: str) -> pd.DataFrame:
    """The filtered rows of ``layer`` (``incident``, ``hazard``, ``sensor``) as map points:
    id, lon, lat, label, state, alert; at most :data:`MAX_POINTS`, newest first."""
    if layer == "incident":
        return run(con, Q.MAPS_POINTS_INCIDENT, **filters.params(user, now.date()), now=now,
                   limit=MAX_POINTS)
    if layer == "hazard":
        return run(con, Q.MAPS_POINTS_HAZARD, **_hazard_params(user, filters, now),
                   limit=MAX_POINTS)
    if layer == "sensor":
        params = _sensor_params(user, filters, now)
        del params["start"]  # every sensor installed by the period end
        return run(con, Q.MAPS_POINTS_SENSOR, **params, now=now, limit=MAX_POINTS)
    raise ValueError(f"unknown point layer {layer!r}; expected one of {POINT_LAYERS}")
