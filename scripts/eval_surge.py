"""Evaluate surge detection (异常预警, docs/foresight.md) by planting surges of known size
and place into a copy of a store, side by side with EARS C2 and the improved Farrington
method (``scripts/surge_baselines.py``).

    python scripts/eval_surge.py --store STORE [--days 90] [--per 25] [--seed 1]
                                 [--min-baseline 0.5] [--level county|town] [--sizes 3x2]
                                 [--q 0.3,0.4] [--no-every-cell] [--keep COPY]

1. The evaluation period is the last ``--days`` complete days of the store. Plant cells are
   town × 大类 cells whose baseline (mean non-void cases per day over the 56 days before
   the period) is at least ``--min-baseline``; one plant per cell (``--level county``:
   county × 大类 cells).
2. For each multiplier (2×, 3×, 5×) and duration (1, 2, 3 days) (``--sizes``: only those,
   e.g. ``3x2``, the goal's) ``--per`` plants at random cells and start days: on each
   planted day ``round((m − 1) × baseline)`` extra cases (at least one) are inserted as
   incident rows (copies of random earlier cases of that town and 大类, moved to the day at
   their own time of day, new ids), then the summaries are refreshed through the
   product's code.
3. Every method runs day by day over the period as if live at the end of each day, on
   town × 大类 cells (the three on the same matrix; GridCommand's detector with the
   factors fitted before the period): a plant is detected when its cell alarms on a day from
   its start to two days after its end; delay = first alarm day − start day. (The
   production run's county + town + village cells are measured for false alarms too.)
   GridCommand's detector is shown twice: on the planted matrix (the plants of a run
   overlap in time, and a concurrent plant in its Benjamini–Hochberg family lowers the
   others' threshold) and "lone surge" (each plant's p-value among the unplanted p-values of
   its family: a real surge is usually alone; the honest figure).
4. False alarms: the same runs on the unplanted store, every alarm is false; per county
   and week, as alarm days and as episodes (a cell alarming after a day without), over
   the eligible cells (the plants' pool: the per-cell methods are run on those only;
   ours tests every cell and its alarms in the pool are counted), and for the production
   run over every cell of every level.

Prints the tables and whether the goal (≥ 90 % of 3× / 2-day surges detected within one
day, ≤ 1 false alarm per county per week) is met.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from surge_baselines import ears_c2, farrington_flexible  # noqa: E402

from dashboard.foresight import surge as S  # noqa: E402
from dashboard.kpi.summaries import refresh_summaries  # noqa: E402
from dashboard.store import Store  # noqa: E402
from queries import names as Q  # noqa: E402
from queries import run  # noqa: E402

MULTIPLIERS = (2.0, 3.0, 5.0)
DURATIONS = (1, 2, 3)
SIZES = [(m, d) for m in MULTIPLIERS for d in DURATIONS]  # --sizes narrows it
HISTORY_DAYS = 2 * 365 + 14 + 1  # Farrington's two years and window before the period


def period(con, days: int, offset: int = 0):
    """The last ``days`` complete days of the store, ``offset`` days earlier."""
    end = pd.Timestamp(run(con, Q.FORESIGHT_BOUNDS).at[0, "last"]).date() \
        - timedelta(days=1 + offset)
    return end - timedelta(days=days - 1), end


def matrix(con, since, until, levels=("town",)) -> S.Cells:
    """The count matrix of ``levels`` × 大类 (the store's rows through the product's query)."""
    rows = run(con, Q.FORESIGHT_SURGE_COUNTS, since=since, until=until)
    return S.build_cells(rows, since, until, levels)


def eligible(c: S.Cells, start_i: int, min_base: float) -> np.ndarray:
    """Cells whose baseline before the period is at least ``min_base`` per day."""
    return np.flatnonzero(c.y[:, start_i - S.TRAIN_DAYS:start_i].mean(1) >= min_base)


def choose_plants(c: S.Cells, start_i: int, end_i: int, per: int, min_base: float,
                  rng: np.random.Generator) -> pd.DataFrame:
    base = c.y[:, start_i - S.TRAIN_DAYS:start_i].mean(1)
    pool = eligible(c, start_i, min_base)
    need = per * len(SIZES)
    if len(pool) < need:
        raise SystemExit(f"only {len(pool)} cells with a baseline ≥ {min_base}/day for "
                         f"{need} plants: lower --per or --min-baseline")
    cells = rng.permutation(pool)[:need]
    out = []
    k = 0
    for m, dur in SIZES:
        for _ in range(per):
            ci = int(cells[k])
            k += 1
            s = int(rng.integers(start_i, end_i - dur - 1))
            extra = max(1, int(np.floor((m - 1) * base[ci] + 0.5)))
            out.append({"cell": ci, "code": c.cells.at[ci, "code"],
                        "major_code": c.cells.at[ci, "major_code"],
                        "county": c.cells.at[ci, "county"], "baseline": base[ci],
                        "mult": m, "dur": dur, "start": s, "extra_per_day": extra})
    return pd.DataFrame(out)


def plant(con, plants: pd.DataFrame, days: np.ndarray, rng: np.random.Generator,
          digits: int) -> int:
    """Insert the planted incident rows and refresh the summaries; the rows inserted."""
    tmpl = con.execute(
        "SELECT i.*, c.major_code, left(i.grid_code, $n) AS town FROM incidents i "
        "JOIN categories c ON c.code = i.category_code WHERE NOT i.is_void",
        {"n": digits}).df()
    groups = {k: g for k, g in tmpl.groupby(["town", "major_code"])}
    next_id = int(con.execute("SELECT max(id) FROM incidents").fetchall()[0][0]) + 1
    ts_cols = [c for c in tmpl.columns if str(tmpl[c].dtype).startswith("datetime64")]
    new = []
    for p in plants.itertuples():
        g = groups[(p.code, p.major_code)]
        for j in range(p.dur):
            day = pd.Timestamp(days[p.start + j])
            pick = g.iloc[rng.integers(0, len(g), p.extra_per_day)].copy()
            old = pick["reported_at"]
            shift = (day + (old - old.dt.normalize())) - old
            for col in ts_cols:
                pick[col] = pick[col] + shift
            n = len(pick)
            pick["id"] = np.arange(next_id, next_id + n)
            pick["case_no"] = [f"PLANT{next_id + i:09d}" for i in range(n)]
            next_id += n
            new.append(pick)
    rows = pd.concat(new, ignore_index=True).drop(columns=["major_code", "town"])
    con.register("planted", rows)
    con.execute("INSERT INTO incidents BY NAME SELECT * FROM planted")
    con.unregister("planted")
    refresh_summaries(con)
    return len(rows)


def run_method(name: str, c: S.Cells, factors: S.Factors, start_i: int, end_i: int,
               rows: np.ndarray | None = None, q: float = S.Q_LEVEL) -> np.ndarray:
    """Alarms (``rows`` of the cells × period days) of one method, day by day. Ours tests
    every cell (its Benjamini–Hochberg step counts them all); the per-cell methods only
    ``rows``."""
    rows = np.arange(len(c.cells)) if rows is None else rows
    y = c.y[rows]
    out = np.zeros((len(rows), end_i - start_i + 1), bool)
    for k, d in enumerate(range(start_i, end_i + 1)):
        if name == "ours":
            res = S.detect(c, factors, d, q_level=q)
            out[:, k] = res["alert"].to_numpy()[rows]
        elif name == "ears_c2":
            out[:, k] = ears_c2(y, d)
        elif name == "ears_c2_floor":
            out[:, k] = ears_c2(y, d) & (y[:, d] >= S.MIN_COUNT)
        elif name == "farrington":
            out[:, k] = farrington_flexible(y, d)
    return out


def every_cell(c: S.Cells, factors: S.Factors, start_i: int, end_i: int,
               qs: list[float]) -> dict[float, np.ndarray]:
    """The production run's alarms (every cell of every level) at each BH level of ``qs``,
    day by day (the window tests computed once a day)."""
    out = {q: np.zeros((len(c.cells), end_i - start_i + 1), bool) for q in qs}
    for k, d in enumerate(range(start_i, end_i + 1)):
        t = S.window_tests(c, factors, d)
        for q in qs:
            out[q][:, k] = S.detect(c, factors, d, q_level=q, tests=t)["alert"].to_numpy()
    return out


def lone_alarms(planted: S.Cells, clean: S.Cells, factors: S.Factors, plants: pd.DataFrame,
                start_i: int, end_i: int, pool: np.ndarray, qs: list[float]
                ) -> dict[float, np.ndarray]:
    """GridCommand's alarms of each plant's cell on the days that count for it, as if its
    surge were the only one: its planted p-value among the clean p-values of the other
    cells of its Benjamini–Hochberg family (the plants of a run overlap in time, and a
    concurrent plant lowers the others' BH threshold; a real surge is usually alone)."""
    fam = S.families(clean.cells)
    fam_of = np.empty(len(clean.cells), int)
    for i, m in enumerate(fam):
        fam_of[m] = i
    at = {int(c): i for i, c in enumerate(pool)}
    out = {q: np.zeros((len(pool), end_i - start_i + 1), bool) for q in qs}
    need: dict[int, list[int]] = {}
    for p in plants.itertuples():
        for d in range(p.start, min(p.start + p.dur + 2, end_i + 1)):
            need.setdefault(d, []).append(int(p.cell))
    for d, cells in sorted(need.items()):
        pc = S.detect(clean, factors, d, q_level=1.0)["p_value"].to_numpy()
        pp = S.detect(planted, factors, d, q_level=1.0)["p_value"].to_numpy()
        for ci in cells:
            members = np.flatnonzero(fam[fam_of[ci]])
            v = pc[members].copy()
            k = int(np.searchsorted(members, ci))
            v[k] = pp[ci]
            qv = S.bh(v)[k]
            for q in qs:
                out[q][at[ci], d - start_i] = qv <= q
    return out


def detection_table(plants: pd.DataFrame, alarms: np.ndarray, start_i: int,
                    method: str, pool: np.ndarray) -> pd.DataFrame:
    rows = []
    at = {int(c): i for i, c in enumerate(pool)}
    for p in plants.itertuples():
        a0 = p.start - start_i
        seen = alarms[at[p.cell], a0:a0 + p.dur + 2]
        hit = np.flatnonzero(seen)
        rows.append({"method": method, "mult": p.mult, "dur": p.dur,
                     "delay": int(hit[0]) if len(hit) else np.nan,
                     "band": "≥4/日" if p.baseline >= 4 else "2–4/日" if p.baseline >= 2
                             else "1–2/日" if p.baseline >= 1 else "<1/日"})
    return pd.DataFrame(rows)


def summarise(det: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = det.groupby(by)
    return pd.DataFrame({
        "plants": g.size(),
        "within 0 d": g["delay"].apply(lambda s: (s <= 0).mean()),
        "within 1 d": g["delay"].apply(lambda s: (s <= 1).mean()),
        "within 2 d": g["delay"].apply(lambda s: (s <= 2).mean()),
        "median delay d": g["delay"].median(),
    }).round(3)


def false_alarms(alarms: np.ndarray, cells: pd.DataFrame, days: int) -> dict:
    counties = cells["county"].nunique()
    prev = np.zeros_like(alarms)
    prev[:, 1:] = alarms[:, :-1]
    weeks = days / 7
    return {"alarm days / county·week": round(alarms.sum() / counties / weeks, 3),
            "episodes / county·week": round((alarms & ~prev).sum() / counties / weeks, 3),
            "counties": counties}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--per", type=int, default=25, help="plants per size and duration")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-baseline", type=float, default=0.5)
    ap.add_argument("--level", choices=("county", "town"), default="town",
                    help="the region level of the plant cells (and of the compared runs)")
    ap.add_argument("--keep", help="keep the planted copy at this path")
    ap.add_argument("--sizes", default="", help="plant only these sizes, e.g. 3x2 (the "
                    "goal's) or 2x2,3x2 (multiplier x days; default every size)")
    ap.add_argument("--no-farrington", action="store_true")
    ap.add_argument("--offset", type=int, default=0,
                    help="end the period this many days before the store's last complete "
                    "day (another period, e.g. to check false alarms out of the tuned one)")
    ap.add_argument("--false-alarms-only", action="store_true",
                    help="only the production run's false alarms over every cell (no plants)")
    ap.add_argument("--no-every-cell", action="store_true",
                    help="skip the production run's false alarms over every cell (the same "
                    "for every seed of a store and period)")
    ap.add_argument("--q", default="0.3", help="further q levels of GridCommand's detector "
                    "to show beside the product's (comma list; empty: none)")
    ap.add_argument("--windows", default="", help="the detector's windows in days (comma "
                    "list, e.g. 1,2; default the product's)")
    args = ap.parse_args(argv)
    if args.windows:
        S.WINDOWS = tuple(int(x) for x in args.windows.split(","))
    rng = np.random.default_rng(args.seed)
    if args.sizes:
        SIZES[:] = [(float(m), int(d)) for m, d in
                    (x.strip().split("x") for x in args.sizes.split(",") if x.strip())]
    t0 = time.time()
    with Store.open(args.store, read_only=True) as con:
        start, end = period(con, args.days, args.offset)
        since = start - timedelta(days=HISTORY_DAYS)
        clean = matrix(con, since, end, (args.level,))
        clean_all = matrix(con, start - timedelta(days=S.TRAIN_DAYS + S.GAP_DAYS), end,
                           S.levels_of(con))
        factors = S.fit(con, pd.Timestamp(start).to_pydatetime())
    start_i, end_i = clean.index_of(start), clean.index_of(end)
    extra_q = [float(x) for x in args.q.split(",") if x.strip()]
    if args.false_alarms_only:
        every = every_cell(clean_all, factors, clean_all.index_of(start),
                           clean_all.index_of(end), [S.Q_LEVEL, *extra_q])
        print(f"store {args.store}: period {start} .. {end} ({args.days} days), "
              f"{len(clean_all.cells)} region × 大类 cells; false alarms of the production "
              f"run (every cell, unplanted):")
        print(pd.DataFrame({f"GridCommand NB+BH (q {q}), every cell":
                            false_alarms(a, clean_all.cells, args.days)
                            for q, a in every.items()}).T.to_string())
        return 0
    plants = choose_plants(clean, start_i, end_i, args.per, args.min_baseline, rng)
    tmp = Path(tempfile.mkdtemp(prefix="eval_surge_"))
    copy = Path(args.keep) if args.keep else tmp / "planted.duckdb"
    shutil.copyfile(args.store, copy)
    with Store.open(copy, read_only=False) as con:
        inserted = plant(con, plants, clean.days, rng, S.LEVELS[args.level])
        planted = matrix(con, since, end, (args.level,))
    # the planted matrix in the clean matrix's cell order
    key = ["code", "level", "major_code"]
    pos = pd.MultiIndex.from_frame(planted.cells[key]).get_indexer(
        pd.MultiIndex.from_frame(clean.cells[key]))
    planted = S.Cells(clean.cells, clean.days, planted.y[pos])
    print(f"store {args.store}: period {start} .. {end} ({args.days} days), "
          f"{len(clean.cells)} {args.level} × 大类 cells, {len(plants)} plants, {inserted} planted "
          f"rows (copy built in {time.time() - t0:.0f} s)\n")
    methods = ["ours"] + [f"ours@{q}" for q in extra_q] + ["ears_c2", "ears_c2_floor"] \
        + ([] if args.no_farrington else ["farrington"])
    labels = {"ours": f"GridCommand NB+BH (q {S.Q_LEVEL})", "ears_c2": "EARS C2",
              "ears_c2_floor": "EARS C2 (≥3 cases)", "farrington": "Farrington flexible"}
    labels.update({f"ours@{q}": f"GridCommand NB+BH (q {q})" for q in extra_q})
    pool = eligible(clean, start_i, args.min_baseline)
    dets, fas, times = [], {}, {}
    for m in methods:
        t = time.time()
        name, q = (m.split("@")[0], float(m.split("@")[1])) if "@" in m else (m, S.Q_LEVEL)
        dets.append(detection_table(
            plants, run_method(name, planted, factors, start_i, end_i, pool, q), start_i,
            labels[m], pool))
        fas[labels[m]] = false_alarms(run_method(name, clean, factors, start_i, end_i, pool, q),
                                      clean.cells.iloc[pool], args.days)
        times[labels[m]] = (time.time() - t) / (2 * args.days)
    qs = [S.Q_LEVEL, *extra_q]
    lone = lone_alarms(planted, clean, factors, plants, start_i, end_i, pool, qs)
    for q in qs:
        label = f"GridCommand NB+BH (q {q}), lone surge"
        dets.append(detection_table(plants, lone[q], start_i, label, pool))
        fas[label] = fas[labels["ours" if q == S.Q_LEVEL else f"ours@{q}"]]
        methods.append(f"lone@{q}")
        labels[f"lone@{q}"] = label
    ca0, ca1 = clean_all.index_of(start), clean_all.index_of(end)
    if not args.no_every_cell:
        every = every_cell(clean_all, factors, ca0, ca1, qs)
        for q in qs:
            fas[f"GridCommand NB+BH (q {q}), county + town + village, every cell"] = \
                false_alarms(every[q], clean_all.cells, args.days)
    det = pd.concat(dets, ignore_index=True)
    pd.set_option("display.width", 200)
    print("Detection by size (rate within 0/1/2 days of the surge's start, median delay):")
    print(summarise(det, ["mult", "dur", "method"]).to_string(), "\n")
    print("3× surges by the cell's baseline:")
    print(summarise(det[det["mult"] == 3.0], ["band", "method"]).to_string(), "\n")
    print(f"False alarms on the unplanted store (every alarm false; the {len(pool)} "
          f"eligible cells, and the production run's every cell):")
    print(pd.DataFrame(fas).T.to_string(), "\n")
    print("Seconds per day and cell matrix:",
          {k: round(v, 3) for k, v in times.items()}, "\n")
    goal = det[(det["mult"] == 3.0) & (det["dur"] == 2)]
    for m in methods:
        g = goal[goal["method"] == labels[m]]
        rate = float((g["delay"] <= 1).mean())
        fa = fas[labels[m]]["episodes / county·week"]
        ok = rate >= 0.9 and fa <= 1.0
        print(f"goal {labels[m]}: 3×/2-day detected within 1 day {rate:.1%} (≥ 90 %), "
              f"false alarms {fa} per county·week (≤ 1): {'MET' if ok else 'NOT MET'}")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
