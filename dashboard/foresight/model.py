"""The at-risk model (即将超期风险): P(an open case misses its deadline | what is known now).

A calibrated empirical model, explainable line by line, learnt only from the store's rows:

1. **Snapshots.** Each case with a deadline is looked at, at a few moments while it was
   open and not yet late. At each moment ``t`` we know its stage (立案 / 派遣 / 处置完成 /
   核查), how much of its time limit it has used, its category, handling tier and
   department, the hour and weekday, and its department's queue (open cases handled by the
   department at ``t``: dispatched, not yet handled) and, once dispatched, its desk: the
   line's cases still waiting that were dispatched before it (first in, first out), in
   hours of the line's recent handling rate, against the time left (does the department
   get to it before the deadline?). The outcome is the time it
   still took to close, ``R``; it misses its deadline when ``R`` exceeds the time left,
   ``slack = deadline − t``.
2. **Base distribution of the remaining time.** The empirical distribution of ``log R`` in
   strata of growing detail: stage × share of the limit used × desk, then × tier, × 大类,
   × 小类.
   Each stratum's distribution is shrunk towards its parent's by ``n / (n + κ)``
   (few cases: the parent speaks; many: the stratum's own history).
3. **Shifts.** What the strata cannot hold is a time factor (accelerated-failure-time
   style, on ``log R``): the department's queue relative to its usual queue (per stage), the
   department itself, and the time of week. Each is the shrunk median of what is left
   unexplained, so "积压为平时 2.1 倍时，同类案件用时约为平时的 1.6 倍" is read off directly.
4. **Probability** ``p_raw = P(R > slack)`` from the shifted base distribution, then
   **calibrated** by isotonic regression (pool adjacent violators) on the latest fifth of
   the training window, fitted on the other four fifths: of the cases given 30 %, about
   30 % miss.

Everything here is plain numpy/pandas over frames; ``dashboard/foresight/run.py`` reads
the store and writes the results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.foresight import explain

HOUR = 3600.0
GRID = np.linspace(np.log(0.1), np.log(3000.0), 72)  # log hours
STAGES = ("registered", "dispatched", "handled", "verified")
STAGE_NAMES = {"registered": "已立案待派遣", "dispatched": "处置中", "handled": "待核查",
               "verified": "待结案"}
FRAC_EDGES = (0.2, 0.4, 0.6, 0.8)  # share of the time limit used (0.8: the yellow light)
LOAD_EDGES = (0.75, 1.33, 2.0, 3.0, 5.0)  # queue / usual queue
WHEN_NAMES = {"work": "工作日白天", "night": "工作日夜间", "weekend": "周末"}
# the desk (dispatched cases): the line's cases dispatched no later than this one and not
# yet handled (its place in a first-in-first-out queue), in hours of the line's handling
# rate (cases it handled per hour in the last DESK_DAYS, at least one per DESK_DAYS): how
# long until the department gets to it; as a share of the time left
DESK_EDGES = (0.25, 0.5, 0.75, 1.0, 1.5)
DESK_DAYS = 2
DESK_KIND = "ahead-handled"  # stored with a model: the desk's definition (compatible())
AHEAD_DAYS = 60  # scoring reads the dispatches of this many days back (the place in queue)
LEVELS = (("stage", "fbin", "dbin"), ("stage", "fbin", "dbin", "tier"),
          ("stage", "fbin", "dbin", "tier", "major"),
          ("stage", "fbin", "dbin", "tier", "category"))
KAPPA_BASE = 10.0
KAPPA_SHIFT = 40.0
MAX_SHIFT = 1.0  # a time factor between e^-1 and e^1 (0.37 to 2.7 times)
HORIZON_DAYS = 14  # a training case is registered at least this long before the cut


def _ts(col: pd.Series) -> np.ndarray:
    """Seconds since the epoch (NaN for NaT) of a timestamp column."""
    v = pd.to_datetime(col).to_numpy(dtype="datetime64[s]").astype("float64")
    v[pd.isna(col).to_numpy()] = np.nan
    return v


def censor(cases: pd.DataFrame, cut: float) -> pd.DataFrame:
    """The cases as they were known at ``cut`` (seconds): a stage reached later is not yet
    reached. A back-test fits on this, so nothing after the cut leaks in."""
    out = cases.copy()
    for c in ("dispatched_at", "handled_at", "verified_at", "closed_at"):
        v = _ts(out[c])
        out.loc[~(v <= cut), c] = pd.NaT
    return out


@dataclass
class Queues:
    """Dispatched cases waiting for their department per line of work at any moment, from
    their start (dispatched) and end (handled, else closed) times. A line
    (:func:`line_of`) is a department kind within a county: the county's 城管 bureau and
    its towns' stations, its 村居 ... (one department alone holds too few cases at a time
    to tell a queue from chance).

    ``count(lines, t)`` = cases of the line dispatched at or before ``t`` and neither
    handled nor closed by ``t``."""

    index: dict
    starts: np.ndarray
    ends: np.ndarray
    BIG = 10_000_000_000

    @classmethod
    def build(cls, spans: pd.DataFrame) -> Queues:
        inv, uniq = line_codes(spans["grid_code"], spans["dept_code"])
        start = _ts(spans["dispatched_at"])
        end = _ts(spans["closed_at"])
        if "handled_at" in spans:
            end = np.fmin(_ts(spans["handled_at"]), end)
        base = inv.astype(np.int64) * cls.BIG
        s = np.sort(base + start.astype(np.int64))
        e_ok = np.isfinite(end)
        e = np.sort(base[e_ok] + end[e_ok].astype(np.int64))
        return cls({d: i for i, d in enumerate(uniq)}, s, e)

    def _key(self, lines) -> tuple[np.ndarray, np.ndarray]:
        idx = np.array([self.index.get(d, -1) for d in lines], dtype=np.int64)
        return idx, np.where(idx >= 0, idx, 0) * self.BIG

    def _n(self, arr: np.ndarray, base: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Per row: entries of ``arr`` in the row's line at or before ``t``."""
        return (np.searchsorted(arr, base + t.astype(np.int64), side="right")
                - np.searchsorted(arr, base, side="left"))

    def dispatched_between(self, lines, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Cases of the line dispatched in ``(lo, hi]`` (none when ``lo >= hi``)."""
        idx, base = self._key(lines)
        n = self._n(self.starts, base, hi) - self._n(self.starts, base, np.minimum(lo, hi))
        return np.where(idx >= 0, n, 0)

    def handled_in(self, lines, t: np.ndarray, days: float) -> np.ndarray:
        """Cases of the line that left its queue (handled, else closed) in
        ``(t − days, t]``."""
        idx, base = self._key(lines)
        n = (self._n(self.ends, base, t)
             - self._n(self.ends, base, np.maximum(t - days * 86400.0, 0.0)))
        return np.where(idx >= 0, n, 0)

    def count(self, depts, t: np.ndarray) -> np.ndarray:
        idx = np.array([self.index.get(d, -1) for d in depts], dtype=np.int64)
        key = np.where(idx >= 0, idx, 0) * self.BIG + t.astype(np.int64)
        n = (np.searchsorted(self.starts, key, side="right")
             - np.searchsorted(self.ends, key, side="right"))
        lo = np.where(idx >= 0, idx, 0) * self.BIG
        n = n - (np.searchsorted(self.starts, lo, side="left")
                 - np.searchsorted(self.ends, lo, side="left"))
        return np.where(idx >= 0, n, 0)


def line_codes(grids: pd.Series, depts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`line_of` of every row as (per row the index of its line, the lines), with the
    string work done once per distinct county and department, not per row: the queues'
    spans are every case dispatched in up to ``AHEAD_DAYS`` (about 580k rows at 10M), where
    a string operation per row took 2.3 s of a 3.2 s scoring run."""
    g_codes, g_uniq = pd.factorize(grids, use_na_sentinel=False)
    d_codes, d_uniq = pd.factorize(depts, use_na_sentinel=False)
    # a line reads only the grid's first 6 characters (its county)
    c_of_grid, c_uniq = pd.factorize(pd.Series(np.asarray(g_uniq, dtype=object))
                                     .astype(str).str[:6], use_na_sentinel=False)
    width = np.int64(len(d_uniq) + 1)
    pairs, inverse = np.unique(c_of_grid[g_codes].astype(np.int64) * width + d_codes,
                               return_inverse=True)
    lines = line_of(pd.Series(np.asarray(c_uniq, dtype=object)[pairs // width]),
                    pd.Series(np.asarray(d_uniq, dtype=object)[pairs % width]))
    line_index, uniq = pd.factorize(lines, use_na_sentinel=False)
    return line_index[inverse.reshape(-1)], np.asarray(uniq, dtype=object)


def line_of(grids: pd.Series, depts: pd.Series) -> np.ndarray:
    """The line of work of each case: county code + the department kind's abbreviation
    (``320612-CG``; '' without a department)."""
    d = depts.fillna("").astype(str)
    kind = d.str.rsplit("-", n=1).str[-1]
    return np.where(d == "", "", grids.astype(str).str[:6] + "-" + kind).astype(object)


def features(cases: pd.DataFrame, t: np.ndarray, queues: Queues) -> pd.DataFrame:
    """The model's inputs for each case (row) at the moment ``t`` (seconds, one per row).

    ``cases`` has the columns of ``queries/foresight/cases.sql``."""
    reg = _ts(cases["registered_at"])
    dl = _ts(cases["deadline_at"])
    stage = np.full(len(cases), "registered", dtype=object)
    for col, name in (("dispatched_at", "dispatched"), ("handled_at", "handled"),
                      ("verified_at", "verified")):
        stage[_ts(cases[col]) <= t] = name
    limit = np.maximum(dl - reg, HOUR)
    frac = (t - reg) / limit
    depts = cases["dept_code"].fillna("").astype(str).to_numpy()
    lines = line_of(cases["grid_code"], cases["dept_code"])
    local = pd.to_datetime(t, unit="s")
    hour = local.hour.to_numpy()
    weekend = local.day_of_week.to_numpy() >= 5
    when = np.where(weekend, "weekend", np.where((hour >= 8) & (hour < 18), "work", "night"))
    # the desk: the line's waiting cases dispatched no later than this one (its waiting
    # cases less those dispatched after it: first in, first out), in hours of the line's
    # handling rate (handled per hour in the last DESK_DAYS, at least one), against the
    # time left
    queue = queues.count(lines, t)
    rate = np.maximum(queues.handled_in(lines, t, DESK_DAYS), 1) / (DESK_DAYS * 24.0)
    disp = _ts(cases["dispatched_at"])
    later = queues.dispatched_between(lines, np.nan_to_num(disp, nan=np.inf), t)
    ahead = np.maximum(queue - later, 0)
    backlog_h = ahead / rate
    in_stage = (t - disp) / HOUR
    slack_h = (dl - t) / HOUR
    desk = backlog_h / np.maximum(slack_h, 1.0)
    dbin = np.where(stage != "dispatched", "-",
                    np.searchsorted(DESK_EDGES, desk, side="right").astype(str))
    return pd.DataFrame({
        "stage": stage,
        "fbin": np.searchsorted(FRAC_EDGES, frac, side="right").astype(str),
        "dbin": dbin,
        "ahead": np.where(stage == "dispatched", ahead, 0),
        "backlog_h": backlog_h,
        "rate_day": rate * 24.0,
        "in_stage_h": np.where(stage == "dispatched", in_stage, np.nan),
        "frac": frac,
        "tier": cases["tier"].astype(str).to_numpy(),
        "major": cases["major_code"].fillna("").astype(str).to_numpy(),
        "category": cases["category_code"].astype(str).to_numpy(),
        "dept": depts,
        "line": lines,
        "queue": queue,
        "when": when,
        "slack_h": slack_h,
        "t": t,
    }, index=cases.index)


def looks(cases: pd.DataFrame, step_h: float, end: np.ndarray | None = None,
          offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Moments on a clock grid (every ``step_h`` hours, shifted by ``offset`` seconds) in
    each case's open, not-yet-late life (before ``end`` when given): (row index, seconds).

    Looking on a clock grid weighs each case by how long it is open, as the open cases at
    any moment are weighed (a case open for days is scored many times)."""
    reg = _ts(cases["registered_at"])
    stop = np.fmin(_ts(cases["closed_at"]), _ts(cases["deadline_at"]))
    if end is not None:
        stop = np.fmin(stop, end)
    step = step_h * HOUR
    first = np.ceil((reg - offset) / step) * step + offset
    n = np.clip(np.ceil((stop - first) / step), 0, None)
    n = np.nan_to_num(n).astype(int)
    rows = np.repeat(np.arange(len(cases)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    t = first[rows] + k * step
    keep = t < stop[rows]
    return rows[keep], t[keep]


def snapshots(cases: pd.DataFrame, queues: Queues, cut: float, step_h: float = 6.0,
              seed: int = 0) -> pd.DataFrame:
    """Training rows: each case looked at every ``step_h`` hours (random phase) while open
    and not yet late (before ``cut``), with the remaining time ``R`` (hours; a case still
    open at the cut is given ``cut − t``, a lower bound that lands in the distribution's
    top) and whether it missed its deadline."""
    rng = np.random.default_rng(seed)
    rows, t = looks(cases, step_h, np.full(len(cases), cut), rng.random() * step_h * HOUR)
    sub = cases.iloc[rows].reset_index(drop=True)
    f = features(sub, t, queues)
    f["case"] = sub["id"].to_numpy()
    c = _ts(sub["closed_at"])
    dl = _ts(sub["deadline_at"])
    f["remaining_h"] = np.where(np.isfinite(c), c - t, cut - t) / HOUR
    f["missed"] = ~(c <= dl)
    return f


def _keys(f: pd.DataFrame, level: tuple[str, ...]) -> np.ndarray:
    out = f[level[0]].astype(str)
    for c in level[1:]:
        out = out + "|" + f[c].astype(str)
    return out.to_numpy()


def _cdf_rows(logr: np.ndarray, inv: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per key: count and empirical CDF of ``logr`` on :data:`GRID`."""
    pos = np.searchsorted(GRID, logr, side="left")  # R <= GRID[j] for j >= pos
    hist = np.zeros((k, len(GRID) + 1))
    np.add.at(hist, (inv, np.minimum(pos, len(GRID))), 1.0)
    n = hist.sum(axis=1)
    cdf = np.cumsum(hist[:, :-1], axis=1) / np.maximum(n, 1)[:, None]
    return n, cdf


def _cases_per_key(keys: np.ndarray, cases: np.ndarray) -> pd.Series:
    """Distinct cases per key: shrinkage weighs evidence by cases, not by looks (a case
    that drags on is looked at many times but is one case)."""
    return pd.DataFrame({"k": keys, "c": cases}).groupby("k")["c"].nunique()


def _shrunk_median(values: np.ndarray, keys: np.ndarray, cases: np.ndarray,
                   kappa: float) -> dict:
    """Per key: the median of ``values`` shrunk towards 0 by ``n / (n + kappa)`` (``n``
    distinct cases), clipped to ±:data:`MAX_SHIFT`; with ``n``."""
    s = pd.DataFrame({"k": keys, "v": values}).groupby("k")["v"].median()
    n = _cases_per_key(keys, cases).reindex(s.index)
    shrunk = np.clip(s * n / (n + kappa), -MAX_SHIFT, MAX_SHIFT)
    return {k: (float(m), int(c)) for k, m, c in zip(s.index, shrunk, n, strict=True)}


def _isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool adjacent violators: the non-decreasing step function of ``x`` closest to
    ``y`` (least squares); returned as the block means' x and fitted y, for np.interp."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order].astype(float)
    vals, wts, xsum = [], [], []
    for xi, yi in zip(xs, ys, strict=True):
        vals.append(yi)
        wts.append(1.0)
        xsum.append(xi)
        while len(vals) > 1 and vals[-2] >= vals[-1]:
            w = wts[-2] + wts[-1]
            v = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w
            xm = xsum[-2] + xsum[-1]
            vals[-2:], wts[-2:], xsum[-2:] = [v], [w], [xm]
    bx = np.array(xsum) / np.array(wts)
    return bx, np.array(vals)


@dataclass
class Model:
    """A fitted at-risk model: everything needed to score and to explain a score."""

    version: str
    strata: dict = field(default_factory=dict)  # (level, key) -> (n, cdf array)
    usual_queue: dict = field(default_factory=dict)  # dept -> usual open cases
    shift_load: dict = field(default_factory=dict)  # load bin -> (log factor, n)
    shift_dept: dict = field(default_factory=dict)
    shift_when: dict = field(default_factory=dict)
    calib_x: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0]))
    calib_y: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0]))
    info: dict = field(default_factory=dict)

    # --- fitting ---------------------------------------------------------------------

    @classmethod
    def fit(cls, rows: pd.DataFrame, version: str, calibrate: pd.DataFrame | None = None,
            info: dict | None = None) -> Model:
        """Fit on snapshot rows (:func:`snapshots`); calibrate on ``calibrate`` (later
        snapshots, same columns) when given."""
        m = cls(version, info=dict(info or {}))
        logr = np.log(np.clip(rows["remaining_h"].to_numpy(dtype=float), 1e-3, None))
        cases = rows["case"].to_numpy() if "case" in rows else np.arange(len(rows))
        for li, level in enumerate(LEVELS):
            keys = _keys(rows, level)
            uniq, inv = np.unique(keys, return_inverse=True)
            _, cdf = _cdf_rows(logr, inv, len(uniq))
            n = _cases_per_key(keys, cases).reindex(uniq).to_numpy(dtype=float)
            if li == 0:
                shrunk = cdf
            else:
                first = np.unique(inv, return_index=True)[1]  # a row of each key
                pkeys = _keys(rows, LEVELS[li - 1])[first]
                pc = np.array([m.strata[(li - 1, pk)][1] for pk in pkeys])
                w = (n / (n + KAPPA_BASE))[:, None]
                shrunk = w * cdf + (1 - w) * pc
            for k, nk, ck in zip(uniq, n, shrunk, strict=True):
                m.strata[(li, str(k))] = (int(nk), ck)
        # usual queue per line: the mean queue over the training moments
        q = rows.groupby("line")["queue"].mean()
        m.usual_queue = {str(k): float(v) for k, v in q.items() if k}
        resid = logr - m._base_median(rows)
        load = m._load_key(rows)
        m.shift_load = _shrunk_median(resid, load, cases, KAPPA_SHIFT)
        resid = resid - np.array([m.shift_load.get(b, (0.0, 0))[0] for b in load])
        m.shift_dept = _shrunk_median(resid, rows["dept"].to_numpy(), cases, KAPPA_SHIFT)
        resid = resid - np.array([m.shift_dept.get(d, (0.0, 0))[0]
                                  for d in rows["dept"].to_numpy()])
        m.shift_when = _shrunk_median(resid, rows["when"].to_numpy(), cases, KAPPA_SHIFT)
        m.info.update(rows=int(len(rows)), strata=len(m.strata))
        if calibrate is not None and len(calibrate):
            raw = m.raw(calibrate)
            m.calib_x, m.calib_y = _isotonic(raw, calibrate["missed"].to_numpy(dtype=float))
            m.info["calibration_rows"] = int(len(calibrate))
        return m

    # --- scoring ---------------------------------------------------------------------

    def _levels(self) -> dict:
        """Per level: key → row of a CDF matrix (built once from ``strata``)."""
        if getattr(self, "_mats", None) is None or len(self._mats_src) != len(self.strata):
            mats = {}
            for li in range(len(LEVELS)):
                items = [(k, v[1]) for (lv, k), v in self.strata.items() if lv == li]
                mats[li] = ({k: i for i, (k, _) in enumerate(items)},
                            np.array([c for _, c in items]).reshape(len(items), len(GRID)))
            self._mats, self._mats_src = mats, dict(self.strata)
        return self._mats

    def _lookup(self, f: pd.DataFrame) -> np.ndarray:
        """Row → the deepest stratum's (shrunk) CDF the model has for it."""
        out = np.tile(np.linspace(0, 1, len(GRID)), (len(f), 1))  # no history: uninformative
        found = np.zeros(len(f), dtype=bool)
        for li in range(len(LEVELS) - 1, -1, -1):
            index, mat = self._levels()[li]
            pos = pd.Series(_keys(f, LEVELS[li])).map(index).to_numpy()
            take = ~found & ~pd.isna(pos)
            out[take] = mat[pos[take].astype(int)]
            found |= take
        return out

    def _base_median(self, f: pd.DataFrame, cdf: np.ndarray | None = None) -> np.ndarray:
        """log hours at which each row's base CDF reaches one half."""
        cdf = self._lookup(f) if cdf is None else cdf
        j = np.argmax(cdf >= 0.5, axis=1)
        reached = cdf[np.arange(len(cdf)), j] >= 0.5
        lo = np.maximum(j - 1, 0)
        c0, c1 = cdf[np.arange(len(cdf)), lo], cdf[np.arange(len(cdf)), j]
        w = np.where(c1 > c0, (0.5 - c0) / np.where(c1 > c0, c1 - c0, 1), 0.0)
        x = np.where(j == 0, GRID[0], GRID[lo] + w * (GRID[j] - GRID[lo]))
        return np.where(reached, x, GRID[-1])

    def _load_key(self, f: pd.DataFrame) -> np.ndarray:
        """Stage and load bin (``dispatched|3``): a queue delays a case waiting for its
        department, hardly one waiting for the final check."""
        return (f["stage"].astype(str).to_numpy().astype(object) + "|"
                + self._load_bin(f).astype(object))

    def _load_bin(self, f: pd.DataFrame) -> np.ndarray:
        usual = np.array([self.usual_queue.get(d, np.nan) for d in f["line"]])
        known = np.isfinite(usual)
        ratio = np.ones(len(f))
        ratio[known] = (f["queue"].to_numpy(dtype=float)[known] + 1) / (usual[known] + 1)
        return np.searchsorted(LOAD_EDGES, ratio, side="right").astype(str)

    def shifts(self, f: pd.DataFrame) -> pd.DataFrame:
        """The three log time factors of each row (0: no effect)."""
        return pd.DataFrame({
            "load": [self.shift_load.get(b, (0.0, 0))[0] for b in self._load_key(f)],
            "dept": [self.shift_dept.get(d, (0.0, 0))[0] for d in f["dept"]],
            "when": [self.shift_when.get(w, (0.0, 0))[0] for w in f["when"]],
        }, index=f.index)

    def raw(self, f: pd.DataFrame) -> np.ndarray:
        """Uncalibrated P(R > slack)."""
        cdf = self._lookup(f)
        shift = self.shifts(f).sum(axis=1).to_numpy()
        x = np.log(np.clip(f["slack_h"].to_numpy(dtype=float), 1e-3, None)) - shift
        step = GRID[1] - GRID[0]
        pos = np.clip((x - GRID[0]) / step, 0, len(GRID) - 1)
        i = np.minimum(np.floor(pos).astype(int), len(GRID) - 2)
        w = pos - i
        rows = np.arange(len(cdf))
        fx = cdf[rows, i] * (1 - w) + cdf[rows, i + 1] * w
        fx = np.where(x < GRID[0], 0.0, fx)
        return 1.0 - fx

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        return np.clip(np.interp(raw, self.calib_x, self.calib_y), 0.0, 1.0)

    def predict(self, f: pd.DataFrame) -> pd.DataFrame:
        """Probability of missing the deadline, median remaining hours and the reasons."""
        raw = self.raw(f)
        sh = self.shifts(f)
        base = self._base_median(f)
        remaining = np.exp(base + sh.sum(axis=1).to_numpy())
        out = pd.DataFrame({"probability": self.calibrated(raw),
                            "remaining_hours": remaining}, index=f.index)
        parts = [self.reason_parts(r, float(np.exp(b)), s)
                 for r, b, s in zip(f.itertuples(), base, sh.itertuples(), strict=True)]
        out["reasons"] = [explain.risk_reasons(p, "zh") for p in parts]
        out["reason_parts"] = [json.dumps(p, ensure_ascii=False) for p in parts]
        return out

    # --- explaining ------------------------------------------------------------------

    def reason_parts(self, r, base_hours: float, s) -> list[dict]:
        """The reasons of one score as structured parts (a ``code`` and its numbers, what
        ``foresight_scores.reason_parts`` stores), from the model's inputs; the words are
        :func:`dashboard.foresight.explain.risk_reasons`'s, per language."""
        parts = [{"code": "slack", "slack_h": float(r.slack_h), "frac": float(r.frac)},
                 {"code": "base", "stage": str(r.stage), "base_h": float(base_hours)}]
        if r.stage == "dispatched" and r.queue > 0:
            parts.append({"code": "desk", "days": DESK_DAYS, "ahead": int(r.ahead),
                          "rate_day": float(r.rate_day), "backlog_h": float(r.backlog_h),
                          "in_stage_h": float(r.in_stage_h)})
        usual = self.usual_queue.get(r.line)
        if usual is not None and abs(s.load) >= 0.1:
            parts.append({"code": "load", "queue": int(r.queue), "usual": float(usual),
                          "factor": float(np.exp(s.load))})
        elif r.dept:
            parts.append({"code": "queue", "queue": int(r.queue)})
        if abs(s.dept) >= 0.15:
            parts.append({"code": "dept", "slow": bool(s.dept > 0),
                          "factor": float(np.exp(s.dept))})
        if abs(s.when) >= 0.1:
            parts.append({"code": "when", "when": str(r.when), "factor": float(np.exp(s.when))})
        return parts

    def reasons(self, r, base_hours: float, s) -> str:
        """The reasons of one score, in plain Chinese (:meth:`reason_parts` rendered)."""
        return explain.risk_reasons(self.reason_parts(r, base_hours, s), "zh")

    # --- storage ---------------------------------------------------------------------

    def params_json(self) -> str:
        """Everything but the strata, as JSON (``foresight_models.params``)."""
        return json.dumps({
            "grid": [float(GRID[0]), float(GRID[-1]), len(GRID)],
            "levels": [list(level) for level in LEVELS],
            "kappa": {"base": KAPPA_BASE, "shift": KAPPA_SHIFT},
            "frac_edges": FRAC_EDGES, "load_edges": LOAD_EDGES,
            "desk_edges": DESK_EDGES, "desk_days": DESK_DAYS, "desk": DESK_KIND,
            "usual_queue": self.usual_queue,
            "shift_load": self.shift_load, "shift_dept": self.shift_dept,
            "shift_when": self.shift_when,
            "calibration": {"x": self.calib_x.tolist(), "y": self.calib_y.tolist()},
            "info": self.info,
        }, ensure_ascii=False, sort_keys=True)

    @staticmethod
    def compatible(params: str) -> bool:
        """Whether stored params have this code's strata layout (levels, desk bins and the
        desk's definition)."""
        p = json.loads(params)
        return (p.get("levels") == [list(level) for level in LEVELS]
                and tuple(p.get("desk_edges", ())) == DESK_EDGES
                and p.get("desk") == DESK_KIND and p.get("desk_days") == DESK_DAYS)

    @classmethod
    def from_stored(cls, version: str, params: str, strata: pd.DataFrame) -> Model:
        p = json.loads(params)
        tup = {k: tuple(v) for k, v in p["shift_load"].items()}
        m = cls(version, usual_queue=p["usual_queue"], shift_load=tup,
                shift_dept={k: tuple(v) for k, v in p["shift_dept"].items()},
                shift_when={k: tuple(v) for k, v in p["shift_when"].items()},
                calib_x=np.array(p["calibration"]["x"]), calib_y=np.array(p["calibration"]["y"]),
                info=p["info"])
        for level, key, n, cdf in strata[["level", "key", "n", "cdf"]].itertuples(index=False):
            m.strata[(int(level), key)] = (int(n), np.asarray(cdf, dtype=float))
        return m


def _h(hours: float) -> str:
    if hours < 48:
        return f"{hours:.0f} 小时"
    return f"{hours / 24:.1f} 天"
