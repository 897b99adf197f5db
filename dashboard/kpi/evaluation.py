"""Evaluation: composite scores, grades and fair rankings of sub-regions and departments.
(同比 and 环比 bases and changes live in :mod:`dashboard.periods`.)

Region scores are computed from :func:`dashboard.kpi.engine.kpis` outputs (values,
numerators, denominators), never from SQL of their own, so a score can always be traced back
to the same KPI values every page shows, and from there to case ids through ``drill``.

Fairness at small numbers is handled three ways, because a village with 3 cases closed on
time out of 3 must neither top the league nor be shamed by 1 late case out of 2:

- a **minimum volume**: regions whose main-KPI denominator is below ``min_volume`` get a
  score but are not ranked (``ranked=False``);
- a **Wilson 95 % interval** beside every rate, so a reader sees how much the rate could
  move by chance;
- an **empirical-Bayes shrunk rate** beside every rate (and mean), pulled toward the scope's
  overall value with the strength of ``PRIOR_STRENGTH`` pseudo-cases; ranks and grades use
  the composite of the shrunk values.

Departments (:func:`score_departments`) go through the same scoring
(:func:`_score_table`); only their measures come from SQL of their own
(``queries/kpi/department_measures.sql``, raw rows, the registry's definitions), because
the summary tables have no department dimension. Their priors are still ``kpis()`` values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from numbers import Real
from statistics import NormalDist
from types import MappingProxyType

import numpy as np
import pandas as pd

from dashboard.kpi.engine import _check, kpis
from dashboard.kpi.registry import KPIS, ONTIME_DEFAULT, Kpi, get, official_ontime
from queries import names as Q
from queries import run

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType({
    # After CJ/T 292 practice (digital city-management evaluation): timeliness first, then
    # closure and public satisfaction, then quality (rework), speed and hazard rectification.
    "ontime_rate": 0.3,
    "close_rate": 0.2,
    "satisfaction_rate": 0.2,
    "rework_rate": 0.1,
    "avg_handle_hours": 0.1,
    "hazard_ontime_rate": 0.1,
})
"""Default indicator weights (sum 1). ``ontime_rate`` follows the engine's ``ontime`` setting."""

DURATION_TARGETS: Mapping[str, float] = MappingProxyType({
    "avg_handle_hours": 24.0,
    "avg_response_hours": 1.0,
})
"""Target (hours) per mean KPI: at or under it scores 100, falling linearly to 0 at 4×."""

DURATION_ZERO_FACTOR = 4.0
PRIOR_STRENGTH = 20.0
"""Pseudo-cases of the scope-wide value added to every region before it is scored."""

DEPARTMENT_MEASURES: frozenset[str] = frozenset({
    "closed", "closed_ontime", "closed_late", "overdue_open", "closed_due", "closed_dl",
    "closed_dl_due", "reworked",
    "online", "handle_n", "handle_hours", "registered", "response_hours", "handled",
    "backlog", "handled_due", "surveys", "rated", "satisfied_any", "rectified",
    "rectified_ontime", "hz_open", "hz_open_overdue", "rectify_due", "ontime_due",
})
"""Measures ``queries/kpi/department_measures.sql`` returns per department, named as the
engine's (``Kpi.num``/``Kpi.den``)."""
HOUR_MEASURES = frozenset({"handle_hours", "response_hours"})
DEPARTMENT_KPIS: tuple[str, ...] = tuple(
    k.key for k in KPIS
    if k.kind in ("rate", "mean") and k.num in DEPARTMENT_MEASURES
    and k.den in DEPARTMENT_MEASURES)
"""KPIs :func:`score_departments` can weight: case, survey and hazard rates and means."""

TIME_LIMITED: frozenset[str] = frozenset({"ontime_rate", "ontime_rate_closed",
                                         "ontime_rate_due"})
"""KPIs that only speak for cases with a deadline: a unit with none of them in its
denominator (all 无时限, or nothing to close) has no on-time component at all. It is left
out of both composites (weights renormalised), never scored as 0 % or pulled to the prior."""
VOLUME_MEASURES: Mapping[str, str] = MappingProxyType({"closed_dl": "closed",
                                                       "closed_dl_due": "closed_due"})
"""The volume of a unit whose main KPI is an on-time rate: the cases it had to close with or
without a deadline, so a unit whose cases have no time limit is still ranked (on its other
KPIs) rather than dropped as too small."""

GRADES: tuple[tuple[float, str], ...] = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"))
Z95 = NormalDist().inv_cdf(0.975)


def grade(score: float) -> str | None:
    """Letter grade of a 0–100 score: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below.

    Boundaries are inclusive and exact (89.999 is B): a grade is read as a verdict, so no
    rounding is applied before comparing. None for a missing score.
    """
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    for floor, letter in GRADES:
        if score >= floor:
            return letter
    return "E"


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (95 % by default).

    Chosen over the normal approximation because it stays inside [0, 1] and is honest at
    0/n and n/n, which is exactly where small regions sit. ``(nan, nan)`` when ``n`` is 0.
    """
    if not n or n <= 0 or math.isnan(n):
        return (math.nan, math.nan)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return (lo, hi)


def shrink(numerator, denominator, prior, strength: float = PRIOR_STRENGTH):
    """Empirical-Bayes estimate ``(num + m·prior) / (den + m)``.

    For a rate this is the posterior mean under a Beta prior centred on the scope's overall
    rate with ``m`` pseudo-cases; for a mean it is the same pseudo-count pull toward the
    scope's mean. A region with no cases gets the prior; with many cases, its own value.
    Where the prior itself is missing, the raw value is returned.
    """
    num = np.asarray(numerator, dtype=float)
    den = np.nan_to_num(np.asarray(denominator, dtype=float), nan=0.0)
    num = np.where(den > 0, num, 0.0)
    if prior is None or (isinstance(prior, float) and math.isnan(prior)):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return (num + strength * prior) / (den + strength)


def indicator_score(kpi: Kpi, value):
    """0–100 score of KPI values: rates ×100 (or (1 − rate)×100 when lower is better);
    means by ``DURATION_TARGETS`` (100 at or under target, linearly 0 at 4× target)."""
    v = np.asarray(value, dtype=float)
    if kpi.kind == "rate":
        return (1.0 - v) * 100.0 if kpi.better == "lower" else v * 100.0
    target = DURATION_TARGETS[kpi.key]
    zero = DURATION_ZERO_FACTOR * target
    return np.clip((zero - v) / (zero - target), 0.0, 1.0) * 100.0


def validate_weights(weights: Mapping[str, float] | None = None) -> Mapping[str, float]:
    """Check and normalise weights to sum 1; keys with weight 0 are dropped.

    Raises
    ------
    ValueError
        Unknown KPI key; a KPI that cannot be scored 0–100 (counts and stocks have no
        natural scale; means need a ``DURATION_TARGETS`` entry); a weight that is not a
        finite non-negative number; an empty mapping or weights summing to 0.
    """
    if weights is None:
        weights = DEFAULT_WEIGHTS
    if not isinstance(weights, Mapping):
        raise ValueError(f"weights must be a mapping of KPI key to weight, got {weights!r}")
    clean: dict[str, float] = {}
    for key, w in weights.items():
        kpi = get(key)
        if kpi.kind not in ("rate", "mean") or (kpi.kind == "mean" and key not in DURATION_TARGETS):
            raise ValueError(
                f"KPI {key!r} ({kpi.kind}) cannot be scored; weight rates or "
                f"{', '.join(DURATION_TARGETS)}")
        if isinstance(w, bool) or not isinstance(w, Real) or not math.isfinite(w) or w < 0:
            raise ValueError(f"weight of {key!r} must be a finite number ≥ 0, got {w!r}")
        if w > 0:
            clean[key] = float(w)
    total = sum(clean.values())
    if total <= 0:
        raise ValueError("weights must have a positive sum")
    return MappingProxyType({k: w / total for k, w in clean.items()})


def _composite(scores: Mapping[str, np.ndarray], weights: Mapping[str, float],
               index: pd.Index) -> pd.Series:
    """Weighted mean of indicator scores over the KPIs a region has a value for.

    A region without, say, any hazard due is scored on the others with their weights
    renormalised, rather than given 0 (punished) or 100 (rewarded) for having no cases.
    ``scores``: each KPI's scores over ``index``.
    """
    # numpy on a (KPI, region) block, summed over the KPIs in order as pandas would: the
    # same numbers without pandas' alignment per call (the league waits on this)
    keys = list(weights)
    block = np.asarray([np.asarray(scores[k], dtype=float) for k in keys]).reshape(
        len(keys), len(index))
    w = np.asarray([float(weights[k]) for k in keys])[:, None]
    present = ~np.isnan(block)
    total = (present * w).sum(axis=0)
    weighted = (np.where(present, block, 0.0) * w).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = weighted / np.where(total > 0, total, np.nan)
    return pd.Series(out, index=index, dtype=float)


def _check_min_volume(min_volume) -> None:
    if isinstance(min_volume, bool) or not isinstance(min_volume, Real) or min_volume < 0:
        raise ValueError(f"min_volume must be a number ≥ 0, got {min_volume!r}")


def _main_kpi(weights: Mapping[str, float]) -> str:
    """The KPI with the highest weight (the first such in order): its denominator is the
    volume that decides whether a unit is ranked."""
    return max(weights, key=lambda k: weights[k])


def _score_table(index: pd.Index, value: Mapping[str, np.ndarray],
                 numerator: Mapping[str, np.ndarray], denominator: Mapping[str, np.ndarray],
                 priors: Mapping[str, float], weights: Mapping[str, float],
                 min_volume: float, volume: np.ndarray | None = None) -> pd.DataFrame:
    """The scoring shared by :func:`score_regions` and :func:`score_departments`.

    For every weighted KPI: value, denominator, Wilson interval (rates), shrunk value
    toward ``priors[key]``, indicator scores of the raw and shrunk values; then the raw and
    shrunk composites, the grade (of the shrunk composite), the volume (denominator of the
    main KPI, or ``volume`` when given), ``ranked`` and ``rank`` (by the shrunk composite,
    ties share the better rank). One row per entry of ``index``, in its order. An on-time
    KPI (``TIME_LIMITED``) with a zero denominator is not applicable to the unit: its
    shrunk value and both scores are NaN, so the composites leave it out.
    """
    cols: dict[str, object] = {}  # built as one frame: a column insert each is slow
    scores, shrunk_scores = {}, {}
    for key in weights:
        kpi = get(key)
        val = np.asarray(value[key], dtype=float)
        num = np.asarray(numerator[key], dtype=float)
        den = np.nan_to_num(np.asarray(denominator[key], dtype=float), nan=0.0)
        shrunk = shrink(num, den, priors[key])
        if key in TIME_LIMITED:
            shrunk = np.where(den > 0, shrunk, np.nan)
        cols[key] = val
        cols[f"{key}_n"] = den
        if kpi.kind == "rate":
            bounds = [wilson(s, n) for s, n in zip(num, den, strict=True)]
            cols[f"{key}_lo"] = [b[0] for b in bounds]
            cols[f"{key}_hi"] = [b[1] for b in bounds]
        cols[f"{key}_shrunk"] = shrunk
        cols[f"{key}_score"] = scores[key] = indicator_score(kpi, val)
        cols[f"{key}_shrunk_score"] = shrunk_scores[key] = indicator_score(kpi, shrunk)
    out = pd.DataFrame(cols, index=index)
    out["score"] = _composite(scores, weights, index)
    out["score_shrunk"] = _composite(shrunk_scores, weights, index)
    out["grade"] = [grade(s) for s in out["score_shrunk"]]
    out["volume"] = out[f"{_main_kpi(weights)}_n"] if volume is None else volume
    out["ranked"] = (out["volume"] >= min_volume) & out["score_shrunk"].notna()
    out["rank"] = (out["score_shrunk"].where(out["ranked"])
                   .rank(ascending=False, method="min").astype("Int64"))
    return out


def _league(out: pd.DataFrame, ids: list[str], weights, priors, min_volume) -> pd.DataFrame:
    """Order a scored table (ranked first by rank, then by id) and attach ``attrs``."""
    out = out.sort_values(["ranked", "rank", ids[0]], ascending=[False, True, True],
                          na_position="last", ignore_index=True)
    lead = [*ids, "volume", "ranked", "rank", "score", "score_shrunk", "grade"]
    out = out[lead + [c for c in out.columns if c not in lead]]
    out.attrs.update(weights=dict(weights), main=_main_kpi(weights), priors=dict(priors),
                     min_volume=min_volume, prior_strength=PRIOR_STRENGTH)
    return out


def score_regions(con, scope, date_from, date_to, level: str, weights=None,
                  min_volume: int = 30, ontime: str = ONTIME_DEFAULT) -> pd.DataFrame:
    """Composite scores, grades and ranks of the sub-regions of a scope.

    Parameters
    ----------
    con, scope, date_from, date_to, ontime
        As for :func:`dashboard.kpi.engine.kpis`.
    level : {'county', 'town', 'village', 'grid'}
        The sub-regions to compare (at or below the scope's level).
    weights : mapping of KPI key to weight, optional
        ``DEFAULT_WEIGHTS`` when None; validated and normalised by :func:`validate_weights`.
    min_volume : int
        Regions whose denominator of the main KPI (the highest weight; 按期结案率 by
        default, i.e. cases closed) is below this get scores but ``ranked=False`` and no
        rank, so a handful of cases neither wins nor loses a league table. For an on-time
        main KPI the volume counts every case to close, with or without a deadline (a unit
        whose cases have no time limit is ranked on its other KPIs).

    Returns
    -------
    pandas.DataFrame
        One row per sub-region, ranked ones first by rank: ``region``, ``volume``,
        ``ranked``, ``rank`` (Int64, ties share the better rank), ``score`` (composite of
        the raw values), ``score_shrunk`` (composite of the shrunk values; ranks and grades
        use it), ``grade``, and per weighted KPI ``<key>`` (value), ``<key>_n``
        (denominator), ``<key>_score``, ``<key>_shrunk``, ``<key>_shrunk_score`` and for
        rates ``<key>_lo``/``<key>_hi`` (Wilson 95 %). ``attrs`` holds the normalised
        weights, the main KPI and the scope-wide priors.

    Raises
    ------
    ValueError
        Bad weights, ``min_volume``, level, dates or from > to.
    """
    d0, d1 = _check(scope, date_from, date_to)
    w = validate_weights(weights)
    _check_min_volume(min_volume)
    keys = list(w)
    main = official_ontime(ontime) if _main_kpi(w) == "ontime_rate" else get(_main_kpi(w))
    volume_key = {"closed": "deadline_share", "closed_due": "close_rate"}.get(
        VOLUME_MEASURES.get(main.den, ""))
    regional = kpis(con, scope, d0, d1, keys=keys + ([volume_key] if volume_key else []),
                    level=level, ontime=ontime)
    overall = kpis(con, scope, d0, d1, keys=keys, ontime=ontime).set_index("key")["value"]
    priors = {key: float(overall.get(key, np.nan)) for key in keys}

    # the long engine output to one array per (column, KPI) over the sorted regions, in
    # numpy (what a pivot per column did, without its index building)
    region = regional["region"].to_numpy().astype(str)
    key = regional["key"].to_numpy()
    names = np.unique(region)
    at = np.searchsorted(names, region)
    index = pd.Index(names.astype(object), name="region").astype(str)

    arrays = {c: regional[c].to_numpy(dtype=float)
              for c in ("value", "numerator", "denominator")}  # once, not per KPI

    def column(c: str, k: str) -> np.ndarray:
        out = np.full(len(names), np.nan)
        hit = key == k
        out[at[hit]] = arrays[c][hit]
        return out

    cols = {c: {k: column(c, k) for k in keys} for c in ("value", "numerator", "denominator")}
    volume = None if volume_key is None else column("denominator", volume_key)
    out = _score_table(index, cols["value"], cols["numerator"], cols["denominator"], priors,
                       w, min_volume, volume)
    return _league(out.reset_index(), ["region"], w, priors, min_volume)


def department_kpi(key: str, ontime: str = ONTIME_DEFAULT) -> Kpi:
    """The registry KPI whose measures score ``key`` per department (``ontime_rate`` is the
    official definition chosen by ``ontime``).

    Raises
    ------
    ValueError
        A KPI without a department dimension (void, escalation, visit, alert, key-person
        and count KPIs): ``queries/kpi/department_measures.sql`` has no measure for it.
    """
    kpi = official_ontime(ontime) if key == "ontime_rate" else get(key)
    if kpi.num not in DEPARTMENT_MEASURES or kpi.den not in DEPARTMENT_MEASURES:
        raise ValueError(
            f"KPI {key!r} cannot be scored per department; weight one of "
            f"{', '.join(DEPARTMENT_KPIS)}")
    return kpi


def score_departments(con, scope, date_from, date_to, weights=None, min_volume: int = 30,
                      ontime: str = ONTIME_DEFAULT) -> pd.DataFrame:
    """Composite scores, grades and ranks of the departments handling a scope's cases.

    The same scoring as :func:`score_regions` (indicator scores, Wilson intervals,
    shrinkage toward the scope-wide value of each KPI from :func:`kpis`, composite, grade,
    rank by the shrunk composite, minimum volume), on per-department measures from raw rows
    (``queries/kpi/department_measures.sql``; the summary tables have no department
    dimension): cases by ``incidents.dept_code``, 满意率 from the surveys of those cases,
    隐患 KPIs by ``hazards.dept_code``, all restricted to the scope's grids. A department is
    listed when it had cases of the scope to close in the period (closed in it, or open past
    deadline at its end); a city bureau seen from a county scope is judged on that county's
    rows only.

    Parameters
    ----------
    con, scope, date_from, date_to, ontime
        As for :func:`dashboard.kpi.engine.kpis`.
    weights : mapping of KPI key to weight, optional
        ``DEFAULT_WEIGHTS`` when None; validated by :func:`validate_weights`, and every key
        must have a department dimension (``DEPARTMENT_KPIS``).
    min_volume : int
        As for :func:`score_regions`.

    Returns
    -------
    pandas.DataFrame
        One row per department, ranked ones first by rank, then by code: ``dept_code``,
        ``name``, ``tier``, then the columns of :func:`score_regions` (``volume``,
        ``ranked``, ``rank``, ``score``, ``score_shrunk``, ``grade`` and the per-KPI ones).
        ``attrs`` as for :func:`score_regions`, plus ``measures``: the query's raw
        measures (counts) per department, indexed by ``dept_code``.

    Raises
    ------
    ValueError
        Bad weights (or a KPI without a department dimension), ``min_volume``, dates or
        from > to.
    """
    d0, d1 = _check(scope, date_from, date_to)
    w = validate_weights(weights)
    _check_min_volume(min_volume)
    keys = list(w)
    defs = {key: department_kpi(key, ontime) for key in keys}
    measures = department_measures(con, scope, d0, d1)
    overall = kpis(con, scope, d0, d1, keys=keys, ontime=ontime).set_index("key")["value"]
    priors = {key: float(overall.get(key, np.nan)) for key in keys}

    index = pd.Index(measures["dept_code"].astype(str), name="dept_code")
    num = {k: measures[d.num].to_numpy(dtype=float) for k, d in defs.items()}
    den = {k: measures[d.den].to_numpy(dtype=float) for k, d in defs.items()}
    with np.errstate(invalid="ignore", divide="ignore"):
        value = {k: np.where(den[k] > 0, num[k] / np.where(den[k] > 0, den[k], 1.0), np.nan)
                 for k in keys}
    main = defs[_main_kpi(w)]
    volume = (measures[VOLUME_MEASURES[main.den]].to_numpy(dtype=float)
              if main.den in VOLUME_MEASURES else None)
    out = _score_table(index, value, num, den, priors, w, min_volume, volume)
    out.insert(0, "name", measures["name"].astype(str).to_numpy())
    out.insert(1, "tier", measures["tier"].to_numpy(dtype=object))
    out = _league(out.reset_index(), ["dept_code", "name", "tier"], w, priors, min_volume)
    out.attrs["measures"] = measures.set_index("dept_code")
    return out


def department_measures(con, scope, date_from, date_to) -> pd.DataFrame:
    """Raw per-department measures of a scope and period
    (``queries/kpi/department_measures.sql``), counts as int64, hours as float."""
    d0, d1 = _check(scope, date_from, date_to)
    start = datetime.combine(d0, datetime.min.time())
    end = datetime.combine(d1 + timedelta(days=1), datetime.min.time())
    frame = run(con, Q.KPI_DEPARTMENT_MEASURES, prefix=scope.prefix, start=start, end=end)
    for col in DEPARTMENT_MEASURES:
        if col not in HOUR_MEASURES:
            frame[col] = frame[col].astype("int64")
    frame["tier"] = frame["tier"].astype(object).where(frame["tier"].notna(), None)
    return frame
