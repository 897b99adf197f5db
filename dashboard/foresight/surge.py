"""Surge detection (异常预警, issue 19 part 2): daily counts per region × 大类 against a
seasonal baseline, negative-binomial tail p-values, Benjamini–Hochberg within each level.

The method (docs/foresight.md, 异常预警):

- **Cells.** County, town and village × 大类 (a pass-through slot is skipped), daily
  counts of non-void reports by reported day, from ``incident_daily``.
- **Model** (refitted every ``refit_days``, stored in ``foresight_models`` kind 'surge'):
  per 大类 a weekday profile (last 52 weeks, shrunk to the all-category profile), a
  month-of-year profile (a Poisson model of the monthly counts with a moving level that
  steps only where the counts demand it, so a launch ramp is not taken for season; shrunk
  to the all-category season where counts are few; 1 with less than two years) and the
  hour-of-day share of reports (what part of a day's cases has usually come in by a given
  time of day).
- **Baseline of a cell** for a day: its level × the weekday factor × the month factor.
  The level is the cell's count over the ``TRAIN_DAYS`` (56) days before a ``GAP_DAYS``
  (3) gap divided by the summed factors (so a trend moves the level within eight weeks),
  shrunk toward its parent (a village's 大类 to its town's, a town's to its county's, in
  proportion to the region's share of all cases; a county's to the city's) with
  ``PRIOR_DAYS`` days' weight:
  gamma–Poisson, so a thin cell carries its own uncertainty.
- **Test.** For the last 1, 2 and 3 days (today counted by the share of a day's cases
  usually in by now) the observed sum against the predictive negative binomial (the
  level's gamma posterior, widened by the extra-Poisson dispersion measured in the
  training window), P(Y ≥ y); the cell's p-value is the weighted Bonferroni combination
  min_i p_i / w_i (``WINDOW_WEIGHTS``; equal weights: the smallest of the three times 3).
  Benjamini–Hochberg within each family (:func:`families`: the county × 大类 cells of one
  county, the city's town cells, the city's village cells: a county question is not
  diluted by the ten thousand village cells nor by the other counties'); an alert needs
  q ≤ ``Q_LEVEL``, at least ``MIN_COUNT`` cases and at least ``MIN_RATIO`` times the
  expected count. A county or town alert whose excess one alert of the next level down
  (same 大类) mostly explains is dropped (the smaller region says more).

:func:`detect` is pure numpy on a count matrix (``scripts/eval_surge.py`` runs it day by day
on the same matrix); :func:`update` reads the store, detects as of a moment and replaces
the stored alerts (kind 'surge') in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.foresight import (
    ensure_tables,
    explain,
    reads,
    replace_scores,
    scoring_moment,
    writes,
)
from dashboard.kpi.scope import Scope
from queries import names as Q
from queries import run

KIND = "surge"
METHOD = "nbbh4"
TRAIN_DAYS = 56
GAP_DAYS = 3
WINDOWS = (1, 2, 3)
WINDOW_WEIGHTS = (0.05, 0.9, 0.05)
"""The weighted-Bonferroni weights of the ``WINDOWS`` (same order, summing to 1): a cell's
p-value is min over the windows of p_i / w_i, capped at 1 (:func:`combine`). Equal weights
(1/3 each, method nbbh3) are the plain Bonferroni step (3 × the smallest window p); the
2-day window holds most of the error budget since nbbh4 (chosen on tuning seeds within the
false-alarm budget, confirmed on held-out ones: docs/foresight.md, "The current claim")."""
PRIOR_DAYS = 14.0
Q_LEVEL = 0.2
"""The default BH level of an alert (the setting ``surge_q_level`` overrides it)."""
MIN_COUNT = 3
MIN_RATIO = 1.5
WEEKDAY_PRIOR = 200.0
MONTH_PRIOR = 500.0
TREND_SMOOTH = 1.0
"""The month factors' level penalty (× √ the mean monthly count; see :func:`season_glm`)."""
PROFILE_DAYS = 364
HOUR_DAYS = 28
LEVELS = {"county": 6, "town": 9, "village": 12}
PARENT = {6: 4, 9: 6, 12: 9}


# --- the model (factors) ------------------------------------------------------------------


@dataclass
class Factors:
    """The fitted part of the surge model: per 大类 weekday (Mon=0) and month (Jan=0)
    factors, and the cumulative share of a day's reports by hour (25 points, 0 … 24 h)."""

    weekday: dict[str, list[float]] = field(default_factory=dict)
    month: dict[str, list[float]] = field(default_factory=dict)
    hours: list[float] = field(default_factory=lambda: list(np.linspace(0, 1, 25)))
    info: dict = field(default_factory=dict)

    def exposure(self, majors: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Weekday × month factor of each 大类 (rows) on each day (columns)."""
        days = pd.DatetimeIndex(days)
        dow, mon = days.day_of_week.to_numpy(), days.month.to_numpy() - 1
        ones = [1.0] * 7
        w = np.array([self.weekday.get(m, ones) for m in majors])
        s = np.array([self.month.get(m, [1.0] * 12) for m in majors])
        return w[:, dow] * s[:, mon]

    def day_share(self, moment: datetime) -> float:
        """Share of a day's reports usually in by the time of day of ``moment``."""
        h = moment.hour + moment.minute / 60 + moment.second / 3600
        return float(np.interp(h, np.arange(25), self.hours))

    def to_json(self) -> str:
        return json.dumps({"weekday": self.weekday, "month": self.month, "hours": self.hours,
                           "info": self.info, "method": METHOD,
                           "settings": {"train_days": TRAIN_DAYS, "gap_days": GAP_DAYS,
                                        "windows": list(WINDOWS),
                                        "window_weights": list(WINDOW_WEIGHTS),
                                        "prior_days": PRIOR_DAYS,
                                        "q_level": Q_LEVEL, "min_count": MIN_COUNT,
                                        "min_ratio": MIN_RATIO}}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Factors:
        p = json.loads(text)
        return cls(p["weekday"], p["month"], p["hours"], p.get("info", {}))


def weekday_factors(counts: pd.DataFrame) -> dict[str, list[float]]:
    """Per 大类 weekday factors (mean 1) from daily counts ``major_code, day, n``, shrunk
    to the all-category profile with ``WEEKDAY_PRIOR`` cases' weight."""
    if counts.empty:
        return {}
    c = counts.assign(dow=pd.DatetimeIndex(counts["day"]).day_of_week)
    days = pd.DatetimeIndex(counts["day"].unique())
    per_dow = np.bincount(days.day_of_week, minlength=7).clip(1)  # weeks of each weekday
    allc = c.groupby("dow")["n"].sum().reindex(range(7), fill_value=0).to_numpy() / per_dow
    g = 7 * allc / allc.sum() if allc.sum() > 0 else np.ones(7)
    out = {}
    for major, part in c.groupby("major_code"):
        t = part.groupby("dow")["n"].sum().reindex(range(7), fill_value=0).to_numpy()
        rate = t / per_dow
        total = t.sum()
        own = 7 * rate / rate.sum() if rate.sum() > 0 else g
        w = (total * own + WEEKDAY_PRIOR * g) / (total + WEEKDAY_PRIOR)
        out[str(major)] = [float(x) for x in w * 7 / w.sum()]
    return out


def month_factors(monthly: pd.DataFrame) -> dict[str, list[float]]:
    """Per 大类 month-of-year factors (geometric mean 1) from a Poisson model of the monthly
    counts with a moving level: log E[n_t] = log days_t + level_t + season_{month(t)}, the
    level free each month but penalised by its second differences (``TREND_SMOOTH``: a
    level that follows a launch or a ramp in a few months, while the 12 season terms take
    what repeats every year; :func:`season_glm`). Fitted for all 大类 together and for each
    大类; a 大类's season is shrunk to the all-category season with ``MONTH_PRIOR`` cases'
    weight per calendar month. The first month is left out (it may be partial). Empty
    (all 1) with fewer than 24 months."""
    if monthly.empty:
        return {}
    months = pd.DatetimeIndex(monthly["month"]).to_period("M")
    full = pd.period_range(months.min(), months.max(), freq="M")[1:]
    if len(full) < 24:
        return {}
    days = full.days_in_month.to_numpy(float)
    cal = full.month.to_numpy() - 1
    table = (monthly.assign(p=months).pivot_table(index="p", columns="major_code", values="n",
                                                  aggfunc="sum", fill_value=0)
             .reindex(full, fill_value=0))
    total = table.to_numpy(float).sum(1)
    g, _ = season_glm(total, days, cal)
    out = {}
    for major in table.columns:
        n = table[major].to_numpy(float)
        if n.sum() <= 0:
            continue
        own, _ = season_glm(n, days, cal)
        wt = np.bincount(cal, weights=n, minlength=12)
        logf = (wt * own + MONTH_PRIOR * g) / (wt + MONTH_PRIOR)
        logf -= logf.mean()
        out[str(major)] = [float(x) for x in np.exp(logf)]
    return out


def season_glm(n: np.ndarray, days: np.ndarray, month: np.ndarray,
               smooth: float | None = None, iters: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Fit log E[n_t] = log days_t + level_t + season_{month_t} (Poisson) maximising the
    log-likelihood less ``smooth × sqrt(mean n) × Σ |level_t − level_{t−1}|`` (a level
    that stays put unless the counts move it for good: a launch is a few steps, while a
    pattern that comes back every year goes to the season). The absolute values are
    handled by reweighting (each step's penalty ∝ 1 / (|step| + 0.01)). Returns the 12
    season terms (log, mean 0) and the level per month (log daily rate)."""
    smooth = TREND_SMOOTH if smooth is None else smooth
    t = len(n)
    x = np.hstack([np.eye(t), np.eye(12)[month]])
    d1 = np.diff(np.eye(t), 1, axis=0)
    lam = smooth * np.sqrt(max(n.mean(), 1.0))
    rate = np.log(max(n.sum(), 1.0) / days.sum())
    beta = np.concatenate([np.full(t, rate), np.zeros(12)])
    off = np.log(days)
    w = np.ones(t - 1) / 0.1
    for _ in range(iters):
        pen = np.zeros((t + 12, t + 12))
        pen[:t, :t] = lam * (d1.T * w) @ d1
        pen[t:, t:] = 1e-6 * np.eye(12)  # the level and the season share a constant
        for _ in range(3):
            mu = np.exp(np.clip(off + x @ beta, -30, 30))
            grad = x.T @ (n - mu) - pen @ beta
            beta = beta + np.linalg.solve((x * mu[:, None]).T @ x + pen, grad)
        w_new = 1.0 / (np.abs(d1 @ beta[:t]) + 0.01)
        if np.abs(w_new - w).max() < 1e-3 * w.max():
            break
        w = w_new
    season = beta[t:] - beta[t:].mean()
    return season, beta[:t] + beta[t:].mean()


def hour_shares(hours: pd.DataFrame) -> list[float]:
    """Cumulative share of a day's reports by hour 0 … 24 (25 points)."""
    n = hours.set_index("hour")["n"].reindex(range(24), fill_value=0).to_numpy(float)
    if n.sum() <= 0:
        return [float(x) for x in np.linspace(0, 1, 25)]
    return [0.0] + [float(x) for x in np.cumsum(n) / n.sum()]


# --- counts ---------------------------------------------------------------------------------


@dataclass
class Cells:
    """A count matrix: ``cells`` (code, level, parent, county, major_code) × ``days``."""

    cells: pd.DataFrame
    days: np.ndarray  # datetime64[D]
    y: np.ndarray     # float, cells × days

    def index_of(self, day) -> int:
        return int(np.searchsorted(self.days, np.datetime64(day, "D")))


def build_cells(rows: pd.DataFrame, since: date, until: date,
                levels: tuple[str, ...] = tuple(LEVELS)) -> Cells:
    """The count matrix of ``levels`` × 大类 over the days [since, until] from village rows
    ``village_code, major_code, day, n`` (``surge_counts.sql``)."""
    days = np.arange(np.datetime64(since, "D"), np.datetime64(until, "D") + 1)
    frames = []
    for level in levels:
        n = LEVELS[level]
        f = rows.assign(code=rows["village_code"].str.slice(0, n))
        f = f.groupby(["code", "major_code", "day"], as_index=False)["n"].sum()
        f["level"] = level
        frames.append(f)
    if not frames or rows.empty:
        cells = pd.DataFrame(columns=["code", "level", "major_code", "parent", "county"])
        return Cells(cells, days, np.zeros((0, len(days))))
    allf = pd.concat(frames, ignore_index=True)
    cells = allf[["code", "level", "major_code"]].drop_duplicates().reset_index(drop=True)
    cells["parent"] = [c[:PARENT[len(c)]] for c in cells["code"]]
    cells["county"] = cells["code"].str.slice(0, 6)
    key = pd.MultiIndex.from_frame(cells[["code", "level", "major_code"]])
    ci = key.get_indexer(pd.MultiIndex.from_frame(allf[["code", "level", "major_code"]]))
    di = (pd.to_datetime(allf["day"]).to_numpy().astype("datetime64[D]") - days[0]).astype(int)
    ok = (di >= 0) & (di < len(days))
    y = np.zeros((len(cells), len(days)))
    np.add.at(y, (ci[ok], di[ok]), allf["n"].to_numpy(float)[ok])
    return Cells(cells, days, y)


# --- detection --------------------------------------------------------------------------------


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) of ``p``."""
    p = np.asarray(p, float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty(m)
    out[order] = q
    return out


def nb_sf(y: np.ndarray, mu: np.ndarray, size: np.ndarray) -> np.ndarray:
    """P(Y ≥ y) for Y negative binomial with mean ``mu`` and size ``size`` (Poisson where
    size is infinite)."""
    y, mu, size = np.broadcast_arrays(np.asarray(y, float), np.asarray(mu, float),
                                      np.asarray(size, float))
    out = np.ones(y.shape)
    pois = ~np.isfinite(size)
    out[pois] = stats.poisson.sf(y[pois] - 1, mu[pois])
    nb = ~pois
    out[nb] = stats.nbinom.sf(y[nb] - 1, size[nb], size[nb] / (size[nb] + mu[nb]))
    return np.where(y <= 0, 1.0, out)


def window_tests(c: Cells, factors: Factors, d: int, share: float = 1.0,
                 windows: tuple[int, ...] | None = None) -> dict | None:
    """The per-window statistics of every cell of ``c`` on day index ``d`` (its count so far
    is ``share`` of a usual day's; 1 for a complete day): arrays cells × windows of the
    observed sum ``y``, the expected ``mu``, the baseline per day ``base`` and the tail
    P(Y ≥ y) ``p``; None when the matrix is empty or too short. ``windows``: default
    ``WINDOWS``."""
    windows = WINDOWS if windows is None else tuple(windows)
    cells = c.cells
    n_cells = len(cells)
    lo = d - GAP_DAYS - TRAIN_DAYS + 1
    if n_cells == 0 or lo < 0:
        return None
    hi = d - GAP_DAYS + 1
    majors = cells["major_code"].to_numpy()
    umaj, inv = np.unique(majors, return_inverse=True)
    x_all = factors.exposure(umaj, c.days[lo:d + 1])[inv]  # cells × (train + gap + today)
    x_tr, y_tr = x_all[:, :hi - lo], c.y[:, lo:hi]
    sy, sx = y_tr.sum(1), x_tr.sum(1)
    # prior mean rate: the parent's 大类 rate × the region's share of the parent's cases
    level = cells["level"].to_numpy()
    code, parent = cells["code"].to_numpy(), cells["parent"].to_numpy()
    frame = pd.DataFrame({"code": code, "parent": parent, "major": majors, "level": level,
                          "sy": sy, "sx": sx})
    prior = np.zeros(n_cells)
    for lv in np.unique(level):
        m = level == lv
        f = frame[m]
        pkey = f["parent"]
        p_rate = (f.groupby([pkey, f["major"]])["sy"].transform("sum")
                  / f.groupby([pkey, f["major"]])["sx"].transform("mean").clip(lower=1e-9))
        # region's share of its parent's cases (all 大类), lightly smoothed
        reg = f.groupby("code")["sy"].sum()
        par = f.groupby(pkey)["sy"].sum()
        kids = f.groupby(pkey)["code"].nunique()
        share_r = ((reg.reindex(f["code"]).to_numpy() + 0.5)
                   / (par.reindex(pkey).to_numpy() + 0.5 * kids.reindex(pkey).to_numpy()))
        prior[m] = p_rate.to_numpy() * share_r
    alpha = sy + PRIOR_DAYS * prior + 1e-3
    beta = sx + PRIOR_DAYS
    lam = alpha / beta
    # extra-Poisson dispersion per level, from the training window (cells with a level
    # worth measuring)
    phi = np.ones(n_cells)
    for lv in np.unique(level):
        m = (level == lv) & (lam > 0.2)
        if m.sum() >= 5:
            mu_tr = lam[m, None] * x_tr[m]
            pearson = ((y_tr[m] - mu_tr) ** 2 / mu_tr).sum() / max(mu_tr.size - m.sum(), 1)
            phi[level == lv] = float(np.clip(pearson, 1.0, 5.0))
    out = {k: np.zeros((n_cells, len(windows))) for k in ("y", "mu", "base", "p")}
    for j, h in enumerate(windows):
        xs = x_all[:, -h:].copy()
        xs[:, -1] *= share
        mu = lam * xs.sum(1)
        y = c.y[:, d - h + 1:d + 1].sum(1)
        size = 1.0 / (1.0 / alpha + (phi - 1.0) / np.maximum(mu, 1e-9))
        out["y"][:, j], out["mu"][:, j] = y, mu
        out["base"][:, j] = lam * x_all[:, -h:].mean(1)
        out["p"][:, j] = nb_sf(y, mu, size)
    out["windows"] = np.array(windows)
    return out


def window_weights(weights=None, n: int | None = None) -> np.ndarray:
    """The window weights as an array summing to 1: ``weights`` (default
    ``WINDOW_WEIGHTS``; equal weights when ``n`` windows are asked for and the default does
    not have ``n``). Raises ValueError for a negative weight or a wrong length."""
    if weights is None:
        weights = WINDOW_WEIGHTS if n is None or len(WINDOW_WEIGHTS) == n else [1.0] * n
    w = np.asarray(weights, float)
    if w.ndim != 1 or (n is not None and len(w) != n):
        raise ValueError(f"window weights {list(w)} do not match {n} windows")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"window weights must be non-negative, not all 0: {list(w)}")
    return w / w.sum()


def combine(p: np.ndarray, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Bonferroni over the windows (columns of ``p``): each row's p-value
    min_i p_i / w_i capped at 1, and the index of the window that gives it. A window of
    weight 0 is never used. With equal weights this is min(1, k × the smallest p)."""
    p = np.asarray(p, float)
    w = window_weights(weights, p.shape[1])
    with np.errstate(divide="ignore"):
        scaled = np.where(w > 0, p / np.where(w > 0, w, 1.0), np.inf)
    j = np.argmin(scaled, 1)
    return np.minimum(1.0, scaled[np.arange(len(p)), j]), j


def families(cells: pd.DataFrame) -> list[np.ndarray]:
    """The Benjamini–Hochberg families (boolean masks over ``cells``): the county × 大类
    cells of each county are one family (the false-alarm budget is per county: a county's
    question is not diluted by the other counties' cells); the town cells of the city are
    one, and so are the village cells (thin cells: a city-wide family keeps them strict)."""
    level = cells["level"].astype(str)
    key = level.where(level != "county", "county:" + cells["county"].astype(str)).to_numpy()
    return [key == k for k in pd.unique(key)]


def detect(c: Cells, factors: Factors, d: int, share: float = 1.0,
           q_level: float = Q_LEVEL, min_count: int = MIN_COUNT,
           min_ratio: float = MIN_RATIO, tests: dict | None = None,
           weights=None) -> pd.DataFrame:
    """Test every cell of ``c`` on day index ``d`` (its count so far is ``share`` of a
    usual day's; 1 for a complete day). Returns one row per cell: code, level, major_code,
    county, window_days, observed, expected, baseline_per_day, p_value, q_value, alert.
    ``tests`` are :func:`window_tests` of the same day when already computed; ``weights``
    the windows' weights (default ``WINDOW_WEIGHTS``, see :func:`combine`)."""
    cols = ["code", "level", "major_code", "county", "window_days", "observed", "expected",
            "baseline_per_day", "p_value", "q_value", "alert"]
    t = window_tests(c, factors, d, share) if tests is None else tests
    if t is None:
        return pd.DataFrame(columns=cols)
    cells = c.cells
    n_cells = len(cells)
    level = cells["level"].to_numpy()
    ok = (t["y"] >= min_count) & (t["y"] >= min_ratio * t["mu"])
    p = np.where(ok, t["p"], 1.0)
    p_cell, j = combine(p, weights)
    rows = np.arange(n_cells)
    # no window passed the floors: report the 1-day window
    j = np.where(ok.any(1), j, 0)
    pick = {k: t[k][rows, j] for k in ("y", "mu", "base")}
    q = np.ones(n_cells)
    for m in families(cells):
        q[m] = bh(p_cell[m])
    out = pd.DataFrame({"code": cells["code"].to_numpy(), "level": level,
                        "major_code": cells["major_code"].to_numpy(),
                        "county": cells["county"].to_numpy(),
                        "window_days": t["windows"][j].astype(int), "observed": pick["y"],
                        "expected": pick["mu"], "baseline_per_day": pick["base"],
                        "p_value": p_cell, "q_value": q, "alert": q <= q_level})
    return _drop_explained(out)


def _drop_explained(out: pd.DataFrame) -> pd.DataFrame:
    """An alert of a county or town whose excess one alerting region of the next level
    down (same 大类) explains for at least half is not an alert of its own (the smaller
    region says more)."""
    for coarse, fine in (("town", "village"), ("county", "town")):
        hit = out[out["alert"]]
        up, down = hit[hit["level"] == coarse], hit[hit["level"] == fine]
        if up.empty or down.empty:
            continue
        n = LEVELS[coarse]
        dx = down.assign(up=down["code"].str.slice(0, n),
                         excess=down["observed"] - down["expected"])
        top = dx.groupby(["up", "major_code"])["excess"].max()
        for i, row in up.iterrows():
            e = top.get((row["code"], row["major_code"]))
            if e is not None and e >= 0.5 * (row["observed"] - row["expected"]):
                out.at[i, "alert"] = False
    return out


# --- the store --------------------------------------------------------------------------------


def levels_of(con) -> tuple[str, ...]:
    """County, town and village, less a pass-through slot of an imported store."""
    from dashboard import levels as lvmod

    lv = lvmod.of(con)
    return tuple(name for name, n in LEVELS.items() if not lv.is_hidden(n))


def fit(con, asof: datetime) -> Factors:
    """Fit the factors on the store's history before the day of ``asof``."""
    end = asof.date() - timedelta(days=1)
    rows = run(con, Q.FORESIGHT_SURGE_COUNTS, since=end - timedelta(days=PROFILE_DAYS - 1),
               until=end)
    per_major = rows.groupby(["major_code", "day"], as_index=False)["n"].sum()
    # every whole month before the day of asof: on the 1st the month just ended is one
    # (its last day is end); the month of end was left out before, on the 1st as well
    monthly = run(con, Q.FORESIGHT_SURGE_MONTHS,
                  until=asof.date().replace(day=1) - timedelta(days=1))
    hours = run(con, Q.FORESIGHT_SURGE_HOURS, since=end - timedelta(days=HOUR_DAYS - 1),
                until=end + timedelta(days=1))
    return Factors(weekday_factors(per_major), month_factors(monthly), hour_shares(hours),
                   info={"cut": str(asof), "profile_days": PROFILE_DAYS,
                         "cases": int(per_major["n"].sum())})


def load_active(con) -> tuple[str, Factors, datetime] | None:
    m = run(con, Q.FORESIGHT_ACTIVE_MODEL, kind=KIND)
    if m.empty:
        return None
    return (m.at[0, "model_version"], Factors.from_json(m.at[0, "params"]),
            pd.Timestamp(m.at[0, "fitted_at"]).to_pydatetime())


def save(con, version: str, factors: Factors, fitted_at: datetime) -> None:
    """Store the factors as the active surge model (the caller holds the transaction)."""
    con.execute("UPDATE foresight_models SET active = false WHERE kind = $k", {"k": KIND})
    con.execute("DELETE FROM foresight_models WHERE model_version = $v", {"v": version})
    since = fitted_at - timedelta(days=PROFILE_DAYS)
    con.execute("INSERT INTO foresight_models VALUES ($v, $k, $at, $f, $t, $n, true, $p)",
                {"v": version, "k": KIND, "at": fitted_at, "f": since, "t": fitted_at,
                 "n": int(factors.info.get("cases", 0)), "p": factors.to_json()})


def test_day(asof: datetime) -> tuple[date, float]:
    """The day a run at ``asof`` tests and the share of it elapsed: midnight tests the day
    before, complete."""
    if asof.time() == datetime.min.time():
        return asof.date() - timedelta(days=1), 1.0
    return asof.date(), -1.0  # the share comes from the model's hour profile


def alerts(con, factors: Factors, asof: datetime, version: str,
           levels: tuple[str, ...] | None = None, q_level: float = Q_LEVEL
           ) -> tuple[pd.DataFrame, int]:
    """The surge alerts as of ``asof`` at BH level ``q_level`` (the rows to store) and the
    number of cells tested."""
    day, share = test_day(asof)
    if share < 0:
        share = max(factors.day_share(asof), 0.05)
    since = day - timedelta(days=TRAIN_DAYS + GAP_DAYS - 1)
    rows = run(con, Q.FORESIGHT_SURGE_COUNTS, since=since, until=day)
    c = build_cells(rows, since, day, levels or levels_of(con))
    res = detect(c, factors, len(c.days) - 1, share, q_level=q_level)
    hit = res[res["alert"]].reset_index(drop=True) if len(res) else res
    return _rows(con, hit, asof, day, version), len(res)


_COLS = ["kind", "case_id", "case_no", "grid_code", "category_code", "dept_code", "stage",
         "deadline_at", "asof_at", "probability", "remaining_hours", "queue", "reasons",
         "model_version", "day", "window_days", "observed", "expected", "baseline_per_day",
         "p_value", "q_value", "reason_parts"]


def evidence_parts(region: str, major: str, window: int, observed: int, per_day: float,
                   major_en: str | None = None) -> dict:
    """The alert's evidence as structured parts (``foresight_scores.reason_parts``): the
    region's and the 大类's names (its English name where the store has one), the window
    of days ending on the day tested (today, or yesterday complete), the cases in it and
    the baseline per day; :func:`dashboard.foresight.explain.surge_evidence` words them."""
    return {"region": str(region), "major": str(major),
            "major_en": major_en if isinstance(major_en, str) and major_en else None,
            "window": int(window), "observed": int(observed), "per_day": float(per_day)}


def evidence(region: str, major: str, window: int, observed: int, per_day: float) -> str:
    """The alert's evidence in plain Chinese: 网格X 噪声扰民 近3日 14 件，基线 2.1 件/日."""
    return explain.surge_evidence(evidence_parts(region, major, window, observed, per_day),
                                  "zh")


def _rows(con, hit: pd.DataFrame, asof: datetime, day: date, version: str) -> pd.DataFrame:
    if hit.empty:
        return pd.DataFrame(columns=_COLS)
    names = run(con, Q.FORESIGHT_SURGE_REGIONS)
    region = dict(zip(names.loc[names["kind"] == "region", "code"],
                      names.loc[names["kind"] == "region", "name"], strict=True))
    major = dict(zip(names.loc[names["kind"] == "major", "code"],
                     names.loc[names["kind"] == "major", "name"], strict=True))
    major_en = dict(zip(names.loc[names["kind"] == "major", "code"],
                        names.loc[names["kind"] == "major", "name_en"], strict=True))
    parts = [evidence_parts(region.get(r, r), major.get(m, m), int(w), int(o), float(b),
                            major_en.get(m))
             for r, m, w, o, b in zip(hit["code"], hit["major_code"], hit["window_days"],
                                      hit["observed"], hit["baseline_per_day"], strict=True)]
    reasons = [explain.surge_evidence(p, "zh") for p in parts]
    return pd.DataFrame({
        "kind": KIND, "case_id": pd.array([None] * len(hit), dtype="Int64"),
        "case_no": None, "grid_code": hit["code"], "category_code": hit["major_code"],
        "dept_code": None, "stage": hit["level"], "deadline_at": pd.NaT, "asof_at": asof,
        "probability": 1.0 - hit["q_value"], "remaining_hours": np.nan,
        "queue": hit["observed"].astype("int64"), "reasons": reasons,
        "model_version": version, "day": pd.Timestamp(day),
        "window_days": hit["window_days"].astype("int32"),
        "observed": hit["observed"].astype("int64"), "expected": hit["expected"],
        "baseline_per_day": hit["baseline_per_day"], "p_value": hit["p_value"],
        "q_value": hit["q_value"],
        "reason_parts": [json.dumps(p, ensure_ascii=False) for p in parts]})[_COLS]


def update(con, asof: datetime | None = None, refit: bool = False, refit_days: float = 7.0,
           transaction: bool = True, q_level: float = Q_LEVEL, write=None) -> dict:
    """Fit the factors when due (none, older than ``refit_days``, of another ``METHOD``, or
    ``refit``), detect as of ``asof`` (default: the screens' moment,
    :func:`dashboard.foresight.scoring_moment`) at BH level ``q_level`` (the setting
    ``surge_q_level``) and replace the stored alerts, in one transaction. With ``write``
    (a callable opening the store's writer) ``con`` only reads, in one snapshot, and the
    result is stored on the cursor ``write()`` opens (``foresight.run.Rescorer``).

    Returns
    -------
    dict
        ``model_version``, ``fitted`` (bool), ``alerts`` (rows stored), ``cells`` (tested),
        ``asof``.
    """
    ensure_tables(con)
    with reads(con, write):
        asof = asof or scoring_moment(con)
        active = None if refit else load_active(con)
        # a model of another method (e.g. stored before a change of the window weights) is
        # refitted, so the stored version names the method that made the alerts
        fitted = active is None or asof - active[2] > timedelta(days=refit_days) \
            or asof < active[2] - timedelta(days=1) \
            or not active[0].startswith(f"{KIND}-{METHOD}-")
        if fitted:
            factors = fit(con, asof)
            version = f"{KIND}-{METHOD}-{asof:%Y%m%d%H%M%S}"
        else:
            version, factors, _ = active
        rows, cells = alerts(con, factors, asof, version, q_level=q_level)
    with writes(con, write, transaction) as w:
        if fitted:
            save(w, version, factors, asof)
        replace_scores(w, KIND, rows)
    return {"model_version": version, "fitted": bool(fitted), "alerts": int(len(rows)),
            "cells": int(cells), "asof": asof}


def refill(con) -> None:
    """Migration 015's ``-- @refill surge`` (inside the migration's transaction)."""
    update(con, transaction=False)


def after_load(con, kind: str, loaded: int, refit_days: float = 7.0,
               q_level: float = Q_LEVEL, write=None) -> dict | None:
    """The incremental run after an import or intake batch (already committed). A failure
    is logged and never undoes the load; the previous alerts stay."""
    import logging

    if kind != "incidents" or not loaded:
        return None
    try:
        return update(con, refit_days=refit_days, q_level=q_level, write=write)
    except Exception:  # noqa: BLE001 - the load is committed; alerts are derived data
        logging.getLogger(__name__).exception("surge detection after a load failed")
        return None


# --- reads (screens, KPI) ---------------------------------------------------------------------


def surge_alerts(con, scope: Scope, now: datetime, n: int = 6) -> pd.DataFrame:
    """The stored alerts of ``scope`` for the overview's alert list (strongest first)."""
    return run(con, Q.FORESIGHT_SURGE_ALERTS, prefix=scope.prefix, now=now, n=int(n))


def surge_count(con, scope: Scope) -> dict:
    """预警数 of ``scope`` (registry ``surge_alerts``): the stored alerts in it."""
    r = run(con, Q.FORESIGHT_SURGE_COUNT, prefix=scope.prefix).iloc[0]
    return {"alerts": int(r["alerts"]),
            "asof_at": None if pd.isna(r["asof_at"]) else r["asof_at"],
            "model_version": r["model_version"]}


__all__ = ["KIND", "Cells", "Factors", "after_load", "alerts", "bh", "build_cells", "combine",
           "detect", "evidence", "evidence_parts", "fit", "nb_sf", "refill", "surge_alerts",
           "surge_count", "update", "window_weights"]
