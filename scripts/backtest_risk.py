"""Back-test of the at-risk model (即将超期风险) against the 80% time-limit light.

Replays a store's history: the model is fitted on the past only (everything before the cut
``T0``, seen as it was known at ``T0``: dashboard/foresight/run.py ``fit``), then every case
registered after ``T0`` whose deadline falls before the data end is looked at every
``--step`` hours while open and not yet late, as the scoring after each import would.

A case is *flagged* by the model when a look gives a probability ≥ the threshold at least
``--lead`` hours before its deadline; by the baseline when its light turns yellow (80% of
the limit used, case still open) at least ``--lead`` hours before. A flag is right when
the case then closed after its deadline (or not at all). Printed side by side: precision,
recall, mean warning hours of the right flags, Brier score over the looks (the light as
0/1), and the model at the baseline's recall (its precision–recall curve read at the same
recall). A reliability (calibration) plot is written as a PNG.

    python scripts/backtest_risk.py --store /tmp/demo.duckdb [--test-days 60] [--png out.png]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.foresight import run as R  # noqa: E402
from dashboard.foresight.model import HOUR, Queues, _ts, features, looks  # noqa: E402
from dashboard.settings import Settings
from dashboard.store import Store  # noqa: E402
from queries import names as Q  # noqa: E402
from queries import run  # noqa: E402


def flags_table(case_ids, deadline, missed, flag_time) -> dict:
    """Precision, recall and mean warning hours of per-case first flags (NaN: none)."""
    flagged = np.isfinite(flag_time)
    hit = flagged & missed
    lead = (deadline - flag_time)[hit] / HOUR
    return {"flagged": int(flagged.sum()), "hits": int(hit.sum()),
            "precision": hit.sum() / flagged.sum() if flagged.sum() else float("nan"),
            "recall": hit.sum() / missed.sum() if missed.sum() else float("nan"),
            "warning_h": float(lead.mean()) if len(lead) else float("nan")}


def first_flag(ids: np.ndarray, t: np.ndarray, on: np.ndarray, n_cases: int) -> np.ndarray:
    out = np.full(n_cases, np.nan)
    sel = np.flatnonzero(on)
    order = sel[np.lexsort((t[sel], ids[sel]))]
    uniq, first = np.unique(ids[order], return_index=True)
    out[uniq] = t[order][first]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--test-days", type=float, default=60)
    ap.add_argument("--train-days", type=int, default=R.TRAIN_DAYS)
    ap.add_argument("--step", type=float, default=3.0, help="hours between looks")
    ap.add_argument("--lead", type=float, default=24.0, help="hours before the deadline")
    ap.add_argument("--threshold", type=float, default=Settings().foresight_threshold,
                    help="the flag threshold (default: the setting foresight_threshold)")
    ap.add_argument("--png", default="backtest_risk.png")
    a = ap.parse_args(argv)

    with Store.open(a.store, read_only=True) as con:
        b = run(con, Q.FORESIGHT_BOUNDS)
        end = pd.Timestamp(b.at[0, "last"]).to_pydatetime()
        cut = end - timedelta(days=a.test_days)
        t0 = time.perf_counter()
        model = R.fit(con, cut, a.train_days)
        fit_s = time.perf_counter() - t0
        if model is None:
            print("too little history before the cut to fit a model")
            return 1
        cases = run(con, Q.FORESIGHT_CASES, since=cut, until=end, prefix="")
        spans = run(con, Q.FORESIGHT_QUEUE_SPANS, since=cut - timedelta(days=60), until=end)
    reg = _ts(cases["registered_at"])
    dl = _ts(cases["deadline_at"])
    end_s = float(np.datetime64(end, "s").astype("float64"))
    cut_s = float(np.datetime64(cut, "s").astype("float64"))
    cases = cases[(reg >= cut_s) & (dl <= end_s)].reset_index(drop=True)
    reg, dl = _ts(cases["registered_at"]), _ts(cases["deadline_at"])
    closed = _ts(cases["closed_at"])
    missed = ~(closed <= dl)
    queues = Queues.build(spans)
    ids, t = looks(cases, a.step)
    rows = cases.iloc[ids].reset_index(drop=True)
    t1 = time.perf_counter()
    f = features(rows, t, queues)
    p = model.calibrated(model.raw(f))
    score_s = time.perf_counter() - t1
    y = missed[ids]
    frac = f["frac"].to_numpy()
    light = (frac >= 0.8).astype(float)
    slack = f["slack_h"].to_numpy()

    limit = dl - reg
    t80 = reg + 0.8 * limit
    open80 = ~(closed <= t80)
    out = []

    def baseline(lead: float) -> dict:
        ok = open80 & ((dl - t80) / HOUR >= lead)
        return flags_table(None, dl, missed, np.where(ok, t80, np.nan))

    def model_at(thr: float, lead: float) -> dict:
        return flags_table(None, dl, missed, first_flag(ids, t, (p >= thr) & (slack >= lead),
                                                         len(cases)))

    def equal_recall(target: float, lead: float) -> tuple[float, dict]:
        best = None
        for thr in np.unique(np.round(np.linspace(0.01, 0.99, 99), 2))[::-1]:
            r = model_at(thr, lead)
            if r["recall"] >= target:
                best = (float(thr), r)
                break
        return best or (0.01, model_at(0.01, lead))

    brier_model = float(np.mean((p - y) ** 2))
    brier_light = float(np.mean((light - y) ** 2))
    base_rate = float(np.mean(y))
    for lead in (0.0, a.lead):
        bl = baseline(lead)
        out.append({"method": "80% 时限灯 baseline", "lead": lead, "threshold": "黄灯",
                    **bl, "brier": brier_light})
        thr, mr = equal_recall(bl["recall"], lead)
        out.append({"method": "风险模型·同召回率 model at equal recall", "lead": lead,
                    "threshold": f"{thr:.2f}", **mr, "brier": brier_model})
    out.append({"method": "风险模型·设定阈值 model at setting", "lead": a.lead,
                "threshold": f"{a.threshold:.2f}", **model_at(a.threshold, a.lead),
                "brier": brier_model})
    for thr in (0.1, 0.2, 0.3, 0.7, 0.9):
        out.append({"method": "风险模型·其他阈值 model, other thresholds", "lead": a.lead,
                    "threshold": f"{thr:.2f}", **model_at(thr, a.lead), "brier": brier_model})
    table = pd.DataFrame(out)

    print(f"store {a.store}: cut {cut:%Y-%m-%d %H:%M} (fit on the {a.train_days} days before "
          f"it, {model.info.get('rows')} snapshots, {fit_s:.1f} s); test {a.test_days:g} days "
          f"to {end:%Y-%m-%d %H:%M}")
    print(f"test cases {len(cases)}, missed their deadline {int(missed.sum())} "
          f"({missed.mean():.1%}); looks every {a.step:g} h: {len(f)} "
          f"(scored in {score_s:.1f} s); base rate per look {base_rate:.3f} "
          f"(Brier of always saying it: {base_rate * (1 - base_rate):.4f})")
    print()
    print("| method | lead ≥ h | threshold | flagged | right | precision | recall | "
          "mean warning h | Brier |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in table.itertuples():
        print(f"| {r.method} | {r.lead:g} | {r.threshold} | {r.flagged} | {r.hits} | "
              f"{r.precision:.3f} | {r.recall:.3f} | {r.warning_h:.1f} | {r.brier:.4f} |")
    for lead in (0.0, a.lead):
        bl = table[(table["lead"] == lead)].iloc[0]
        md = table[(table["lead"] == lead)].iloc[1]
        print(f"lead ≥ {lead:g} h: precision ×{md.precision / bl.precision:.2f} at recall "
              f"{md.recall:.3f} vs {bl.recall:.3f}; warning {md.warning_h - bl.warning_h:+.1f} h")

    # every operating point at the lead: does one threshold meet all three parts of the
    # goal at once (recall at least the light's, twice its precision, 12 h more warning)?
    bl = table[(table["lead"] == a.lead)].iloc[0]
    print(f"\nlead ≥ {a.lead:g} h, every threshold (the light: precision {bl.precision:.3f}, "
          f"recall {bl.recall:.3f}, warning {bl.warning_h:.1f} h):")
    print("| threshold | flagged | right | precision | × light | recall | × light | "
          "mean warning h | vs light | all three |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    meeting = []
    for thr in np.round(np.arange(0.05, 0.96, 0.05), 2):
        r = model_at(float(thr), a.lead)
        ok = (r["recall"] >= bl.recall and r["precision"] >= 2 * bl.precision
              and r["warning_h"] - bl.warning_h >= 12)
        if ok:
            meeting.append(f"{thr:.2f}")
        print(f"| {thr:.2f} | {r['flagged']} | {r['hits']} | {r['precision']:.3f} | "
              f"{r['precision'] / bl.precision:.2f} | {r['recall']:.3f} | "
              f"{r['recall'] / bl.recall:.2f} | {r['warning_h']:.1f} | "
              f"{r['warning_h'] - bl.warning_h:+.1f} | {'yes' if ok else ''} |")
    print("thresholds meeting all three: " + (", ".join(meeting) or "none"))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(p, bins) - 1, 0, 9)
    mp = np.array([p[which == i].mean() if (which == i).any() else np.nan for i in range(10)])
    my = np.array([y[which == i].mean() if (which == i).any() else np.nan for i in range(10)])
    nn = np.array([(which == i).sum() for i in range(10)])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfect")
    ax.plot(mp, my, "o-", color="#1f77b4", label=f"model (Brier {brier_model:.3f})")
    for i in range(10):
        if nn[i]:
            ax.annotate(str(nn[i]), (mp[i], my[i]), fontsize=7, xytext=(3, -9),
                        textcoords="offset points")
    for v, name in ((0.0, "green"), (1.0, "yellow")):
        sel = light == v
        if sel.any():
            ax.plot([v], [y[sel].mean()], "s", color="#d62728",
                    label=f"80% light {name} (observed {y[sel].mean():.2f})")
    ax.set_xlabel("predicted probability of missing the deadline")
    ax.set_ylabel("observed share that missed")
    ax.set_title(f"At-risk model calibration, test {a.test_days:g} days")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(a.png, dpi=120)
    print(f"calibration plot: {a.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
