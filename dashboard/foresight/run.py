"""Fitting, scoring and reading the at-risk model against a store.

- :func:`update` is what runs after every import or intake batch of incidents, after a
  demo build, from migration 013 and from ``gridcmd foresight`` (cron): it fits a model
  when there is none or the active one is older than ``refit_days``, then rescores every
  open case with the active model and replaces the stored scores, in one transaction.
  On the server's intake path (:func:`after_load` with ``refit_later``) a due refit does
  not run inside the batch: the batch rescores with the active model and
  :func:`refit_in_background` fits in a thread of the writer, off its write lock.
  Scoring is the incremental step: it reads only the open cases and the department queues
  (a few thousand rows at the demo's size), never the history.
- :func:`fit` learns from the store's rows only (``queries/foresight/cases.sql``), on a
  time split: snapshots before the cut's last fifth fit the distributions, the last fifth
  calibrates them.
- :func:`risk_queue` and :func:`risk_count` are what screens and the KPI read: stored
  rows, scoped by the caller's :class:`~dashboard.kpi.scope.Scope` prefix.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from dashboard.foresight import ensure_tables, reads, replace_scores, scoring_moment, writes
from dashboard.foresight.model import (
    AHEAD_DAYS,
    DESK_DAYS,
    HORIZON_DAYS,
    HOUR,
    Model,
    Queues,
    _ts,
    features,
    snapshots,
)
from dashboard.kpi.scope import Scope
from queries import names as Q
from queries import run

KIND = "risk"
TRAIN_DAYS = 180
# the cases a fit learns from, at most: a large store's half year is sampled (a fixed
# pseudo-random choice), so the fit's memory and time stop growing with the store (a 10M
# demo's 1.6M cases took 6 GB of snapshots); 200k cases fill every stratum the model has
MAX_TRAIN_CASES = 200_000
CALIBRATE_SHARE = 0.2


def _seconds(moment: datetime) -> float:
    return float(np.datetime64(moment, "s").astype("float64"))


def _moment(seconds: float) -> datetime:
    return pd.Timestamp(int(seconds), unit="s").to_pydatetime()


def training_rows(con, cut: datetime, days: int = TRAIN_DAYS, seed: int = 0
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Fit and calibration snapshots for a model as of ``cut``: cases registered in the
    ``days`` before ``cut − HORIZON_DAYS``, seen as they were known at ``cut``."""
    from dashboard.foresight.model import censor

    until = cut - timedelta(days=HORIZON_DAYS)
    since = until - timedelta(days=days)
    cases = run(con, Q.FORESIGHT_TRAINING_CASES, since=since, until=until,
                limit=MAX_TRAIN_CASES)
    cut_s = _seconds(cut)
    cases = censor(cases, cut_s)
    spans = run(con, Q.FORESIGHT_QUEUE_SPANS, since=since, until=cut)
    spans = censor(spans.assign(verified_at=pd.NaT), cut_s)
    spans = spans[spans["dispatched_at"].notna()]
    queues = Queues.build(spans)
    rows = snapshots(cases, queues, cut_s, seed=seed)
    split = _seconds(since) + (1 - CALIBRATE_SHARE) * (_seconds(until) - _seconds(since))
    early = rows["t"].to_numpy() < split
    info = {"cut": str(cut), "since": str(since), "until": str(until),
            "cases": int(len(cases)), "calibrate_from": str(_moment(split))}
    return rows[early].reset_index(drop=True), rows[~early].reset_index(drop=True), info


def fit(con, cut: datetime, days: int = TRAIN_DAYS) -> Model | None:
    """A model fitted on the store's history before ``cut`` (None: too little history)."""
    train, calib, info = training_rows(con, cut, days)
    if len(train) < 50:
        return None
    version = f"{KIND}-{cut:%Y%m%d%H%M%S}-{len(train)}"
    return Model.fit(train, version, calibrate=calib, info=info)


def save(con, model: Model, fitted_at: datetime) -> None:
    """Store ``model`` as the active one (the caller holds the transaction)."""
    info = model.info
    con.execute("UPDATE foresight_models SET active = false WHERE kind = $k", {"k": KIND})
    con.execute("DELETE FROM foresight_strata WHERE model_version = $v",
                {"v": model.version})
    con.execute("DELETE FROM foresight_models WHERE model_version = $v",
                {"v": model.version})
    con.execute("INSERT INTO foresight_models VALUES ($v, $k, $at, $f, $t, $n, true, $p)",
                {"v": model.version, "k": KIND, "at": fitted_at,
                 "f": info.get("since"), "t": info.get("until"), "n": info.get("rows", 0),
                 "p": model.params_json()})
    strata = pd.DataFrame([(model.version, lv, key, n, list(map(float, cdf)))
                           for (lv, key), (n, cdf) in model.strata.items()],
                          columns=["model_version", "level", "key", "n", "cdf"])
    con.register("foresight_strata_new", strata)
    try:
        con.execute("INSERT INTO foresight_strata SELECT model_version, level, key, n, "
                    "CAST(cdf AS DOUBLE[]) FROM foresight_strata_new")
    finally:
        con.unregister("foresight_strata_new")


def load_active(con) -> Model | None:
    """The active stored model, or None."""
    m = run(con, Q.FORESIGHT_ACTIVE_MODEL, kind=KIND)
    if m.empty:
        return None
    version = m.at[0, "model_version"]
    if not Model.compatible(m.at[0, "params"]):
        # stored by an earlier layout of the strata (before the desk): its keys match no
        # case now, so it counts as no model and the next fit replaces it
        return None
    return Model.from_stored(version, m.at[0, "params"],
                             run(con, Q.FORESIGHT_STRATA, version=version))


def score(con, model: Model, asof: datetime, prefix: str = "") -> pd.DataFrame:
    """Score every case open at ``asof`` with a deadline after it (the rows to store)."""
    cases = run(con, Q.FORESIGHT_CASES, since=asof, until=asof, prefix=prefix)
    t0 = _seconds(asof)
    closed = _ts(cases["closed_at"])
    cases = cases[~(closed <= t0) & (_ts(cases["deadline_at"]) > t0)].reset_index(drop=True)
    cols = ["kind", "case_id", "case_no", "grid_code", "category_code", "dept_code", "stage",
            "deadline_at", "asof_at", "probability", "remaining_hours", "queue", "reasons",
            "model_version", "reason_parts"]
    if cases.empty:
        return pd.DataFrame(columns=cols)
    # the queues at asof, the cases each line handled in the days before (its rate) and
    # those dispatched after each open case (its place in the queue; up to AHEAD_DAYS back)
    disp = _ts(cases["dispatched_at"])
    first = np.nanmin(disp) if np.isfinite(disp).any() else t0
    since = max(min(_moment(first), asof - timedelta(days=DESK_DAYS)),
                asof - timedelta(days=AHEAD_DAYS))
    spans = run(con, Q.FORESIGHT_QUEUE_SPANS, since=since, until=asof)
    queues = Queues.build(spans)
    f = features(cases, np.full(len(cases), t0), queues)
    p = model.predict(f)
    return pd.DataFrame({
        "kind": KIND, "case_id": cases["id"].astype("int64"), "case_no": cases["case_no"],
        "grid_code": cases["grid_code"], "category_code": cases["category_code"],
        "dept_code": cases["dept_code"], "stage": f["stage"],
        "deadline_at": cases["deadline_at"], "asof_at": asof,
        "probability": p["probability"], "remaining_hours": p["remaining_hours"],
        "queue": f["queue"].astype("int64"), "reasons": p["reasons"],
        "model_version": model.version, "reason_parts": p["reason_parts"]})[cols]


def update(con, asof: datetime | None = None, refit: bool = False, refit_days: float = 7.0,
           transaction: bool = True, fit_when_due: bool = True,
           model: Model | None = None, write=None) -> dict:
    """Fit when due, then score the open cases and store them (see the module docstring).

    Parameters
    ----------
    fit_when_due : bool
        False on a write path that must stay short (an intake batch): a model older than
        ``refit_days`` still scores, and the answer says ``refit_due`` so the caller can
        fit later (:func:`refit_in_background`). With no model at all nothing is scored.
    model : Model, optional
        A model fitted already (off the write lock): saved as the active one and used.
    write : callable, optional
        Opens the cursor the result is stored on (the store's serialised writer); ``con``
        then only reads, in one snapshot, off the write lock (:class:`Rescorer`). Scores
        of a model that is no longer the active one when they are stored (a refit saved
        its model meanwhile) are dropped: the refit's own scores stay.

    Returns
    -------
    dict
        ``model_version``, ``fitted`` (bool), ``refit_due`` (bool: due and not fitted
        here), ``scored`` (rows stored), ``asof``.
    """
    ensure_tables(con)
    fitted = model is not None
    due = False
    with reads(con, write):
        asof = asof or scoring_moment(con)
        if model is None and not refit:
            model = load_active(con)
            if model is not None:
                m = run(con, Q.FORESIGHT_ACTIVE_MODEL, kind=KIND)
                due = asof - pd.Timestamp(m.at[0, "fitted_at"]).to_pydatetime() \
                    > timedelta(days=refit_days)
            else:
                due = True
        if refit or (due and fit_when_due):
            model = fit(con, asof)
            fitted, due = model is not None, False
        rows = score(con, model, asof) if model is not None else pd.DataFrame()
    with writes(con, write, transaction) as w:
        if write is not None and model is not None and not fitted:
            active = run(w, Q.FORESIGHT_ACTIVE_MODEL, kind=KIND)
            if active.empty or active.at[0, "model_version"] != model.version:
                return {"model_version": model.version, "fitted": False,
                        "refit_due": due, "scored": 0, "asof": asof, "superseded": True}
        if fitted:
            save(w, model, asof)
        if model is not None or fit_when_due:
            replace_scores(w, KIND, rows)
    return {"model_version": model.version if model else None, "fitted": fitted,
            "refit_due": due, "scored": int(len(rows)), "asof": asof}


def refill(con) -> None:
    """Migration 013's ``-- @refill foresight``: the tables, a model and the scores (inside
    the migration's transaction)."""
    update(con, transaction=False)


# --- reads (screens, KPI) ---------------------------------------------------------------


def _risk_read(con, scope: Scope, threshold: float, limit: int
               ) -> tuple[dict, pd.DataFrame]:
    """The one read behind every at-risk panel and count (``foresight/risk_panel.sql``):
    the counts of ``scope`` at ``threshold`` and the first ``limit`` rows of its stored
    queue, most likely first, without a probability floor."""
    got = run(con, Q.FORESIGHT_RISK_PANEL, prefix=scope.prefix, threshold=float(threshold),
              limit=int(limit))
    head = got.iloc[0]
    count = {"at_risk": int(head["at_risk"]), "scored": int(head["scored"]),
             "asof_at": None if pd.isna(head["run_asof_at"]) else head["run_asof_at"],
             "model_version": head["run_model_version"]}
    return count, got.loc[got["rn"].notna(), _QUEUE_COLUMNS].reset_index(drop=True)


def _floored(queue: pd.DataFrame, floor: float) -> pd.DataFrame:
    # the queue is ordered by probability, so the rows at or above a floor are its first
    return queue[queue["probability"] >= float(floor)].reset_index(drop=True)


def risk_queue(con, scope: Scope, limit: int = 50, min_probability: float = 0.0
               ) -> pd.DataFrame:
    """The stored at-risk queue of ``scope`` (already narrowed by ``access.narrow``): at
    most ``limit`` cases with probability ≥ ``min_probability``, the most likely first
    (ties: the earlier deadline, then the case id)."""
    return _floored(_risk_read(con, scope, min_probability, limit)[1], min_probability)


def risk_count(con, scope: Scope, threshold: float) -> dict:
    """风险案件数 of ``scope``: stored open cases with probability ≥ ``threshold``; with
    the number scored there, and the scoring run's moment and model (the store's)."""
    return _risk_read(con, scope, threshold, 0)[0]


WATCH = 5
"""Cases listed under the threshold when none reaches it (the risk panels)."""


def risk_panel(con, scope: Scope, threshold: float, limit: int) -> dict:
    """What a 即将超期风险 panel shows (the 时效 page's and the overview's): 风险案件数 of
    ``scope`` (as :func:`risk_count`), its stored queue at ``threshold`` (``rows``, at most
    ``limit``, the most likely first, as :func:`risk_queue` with that floor) and, when no
    case reaches it, the :data:`WATCH` most likely below it (``watch``), so a quiet day
    still says which cases are nearest. One statement for all of it.

    ``ever_scored`` is False only when the store has no scoring run yet (``asof_at`` is
    None): the one place that decides "no scores yet"; a region with nothing scored in it
    is ``ever_scored`` with ``scored`` (a count) 0 at the run's moment."""
    count, queue = _risk_read(con, scope, threshold, max(int(limit), WATCH))
    rows = _floored(queue, threshold).head(int(limit))
    watch = queue.head(WATCH) if rows.empty else rows.iloc[0:0]
    return {"rows": rows, "watch": watch.reset_index(drop=True), "threshold": threshold,
            "ever_scored": count["asof_at"] is not None, **count}


_QUEUE_COLUMNS = ["case_id", "case_no", "grid_code", "category_code", "minor_name",
                  "dept_code", "dept_name", "stage", "deadline_at", "asof_at", "probability",
                  "remaining_hours", "queue", "reasons", "model_version", "reason_parts"]
"""The queue's columns of ``foresight/risk_panel.sql``."""


__all__ = ["HOUR", "KIND", "WATCH", "Rescorer", "after_load", "fit", "load_active",
           "refit_in_background", "risk_count", "risk_panel", "risk_queue", "save", "score",
           "update"]


def after_load(con, kind: str, loaded: int, refit_days: float = 7.0,
               refit_later=None, surge_q_level: float | None = None,
               write=None) -> dict | None:
    """The incremental run after an import or intake batch (already committed): rescore
    the open cases and rerun surge detection (``surge.after_load``) when incidents were
    written. A failure here never undoes the load; it
    is logged and the previous scores stay (the next batch or ``gridcmd foresight``
    retries).

    With ``refit_later`` (a callable; the server's intake passes one) a model due for a
    refit still scores this batch and ``refit_later()`` is called to fit off the write
    path; without it (``gridcmd import``) the refit runs here. ``surge_q_level`` is the
    surge detection's BH level (the setting; default ``surge.Q_LEVEL``). With ``write``
    (a callable opening the store's writer; :class:`Rescorer`) both runs read on ``con``
    off the write lock and store their results through ``write()``."""
    if kind != "incidents" or not loaded:
        return None
    from dashboard.foresight import surge
    from queries import script

    (newest, _), = run(con, Q.FORESIGHT_BATCHES, form="rows")  # what this run follows
    surge.after_load(con, kind, loaded, refit_days,  # 异常预警: logged on failure
                     surge.Q_LEVEL if surge_q_level is None else surge_q_level, write=write)
    try:
        out = update(con, refit_days=refit_days, fit_when_due=refit_later is None,
                     write=write)
        if newest is not None:  # Rescorer.catch_up reads it
            with writes(con, write, transaction=False) as w:
                script(w, Q.FORESIGHT_BATCHES_FOLLOWED, batch=int(newest))
    except Exception:  # noqa: BLE001 - the load is committed; scores are derived data
        logging.getLogger(__name__).exception("foresight scoring after a load failed")
        return None
    if out["refit_due"] and refit_later is not None:
        refit_later()
    return out


class Rescorer:
    """At-risk scores and surge alerts after committed intake batches, off the answer path.

    A batch of incidents is answered once it is committed (and, with worker processes,
    published); then :meth:`ask` hands the rescoring (:func:`after_load`) to one
    background thread per store and process. A round reads the store on the thread's own
    cursor, in one snapshot and without the write lock (the next batch loads meanwhile),
    and stores the scores and alerts in one short write (``store.writer``). Batches that
    arrive during a round are all covered by the next one, so a burst costs two rounds,
    not one per batch. ``done()`` runs after every round (the writer process publishes the
    store: the scores reach the workers in a second copy, seconds after the batch).

    Each round records the newest incidents batch it covered (meta ``foresight_batch``,
    ``foresight/batches``): :meth:`catch_up` starts a round when a writer killed between a
    batch's commit and its rescoring left one unfollowed.
    """

    def __init__(self, store, refit_days: float = 7.0, surge_q_level: float | None = None,
                 refit_later=None, done=None):
        self.store = store
        self.refit_days = refit_days
        self.surge_q_level = surge_q_level
        self.refit_later = refit_later
        self.done = done
        self._state = threading.Condition()
        self._asked = 0  # rounds asked for (one per batch)
        self._covered = 0  # ... of which a finished round covered this many
        self._thread: threading.Thread | None = None
        self._ending: threading.Thread | None = None  # a thread past its last round
        self.rounds = 0  # rounds run (benchmarks, tests)

    def ask(self) -> None:
        """A committed batch wrote incidents: rescore soon (after the round under way)."""
        with self._state:
            self._asked += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, daemon=True,
                                                name="foresight-rescore")
                self._thread.start()

    def catch_up(self) -> bool:
        """Ask for a round when the import log has an incidents batch no round covered
        (a writer killed after its commit). False when none is missing."""
        newest, followed = run(self.store.cursor(), Q.FORESIGHT_BATCHES, form="rows")[0]
        if newest is None or followed is None or newest <= followed:
            return False
        self.ask()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every round asked for so far has run; False on ``timeout``."""
        with self._state:
            target = self._asked
            return self._state.wait_for(lambda: self._covered >= target, timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Before the store closes: wait for the rounds asked for and for the thread to
        end, its cursor closed (a cursor left open keeps the database open in this
        process). False on ``timeout``."""
        if not self.wait(timeout):
            return False
        with self._state:
            threads = [t for t in (self._thread, self._ending) if t is not None]
        for t in threads:
            t.join(timeout)
        return not any(t.is_alive() for t in threads)

    def _work(self) -> None:
        cur = self.store.cursor()  # this thread's own cursor: it reads off the write lock
        try:
            self._rounds(cur, logging.getLogger(__name__))
        finally:
            cur.close()

    def _rounds(self, cur, log) -> None:
        while True:
            with self._state:
                if self._covered >= self._asked:
                    self._thread, self._ending = None, threading.current_thread()
                    return
                upto = self._asked
            began = time.monotonic()
            try:
                after_load(cur, "incidents", 1, self.refit_days,
                           refit_later=self.refit_later, surge_q_level=self.surge_q_level,
                           write=self.store.writer)
                scored = time.monotonic()
                if self.done is not None:
                    self.done()
                log.info("rescoring round after %d batch(es): scored in %.0f ms, done %.0f ms "
                         "later", upto - self._covered, 1000 * (scored - began),
                         1000 * (time.monotonic() - scored))
            except Exception:  # noqa: BLE001 - the batches are committed; retried next batch
                log.exception("rescoring after intake failed")
            with self._state:
                self.rounds += 1
                self._covered = max(self._covered, upto)
                self._state.notify_all()


_refitting: set[str] = set()
_refitting_lock = threading.Lock()


def refit_in_background(store, refit_days: float = 7.0, done=None) -> threading.Thread | None:
    """Fit a new model for ``store`` (a :class:`dashboard.store.Store` open read-write) in
    a thread of its own, at most one per store and process: the fit reads the history on
    the thread's own cursor without holding the store's write lock (10-60 s at 10M), and so
    does the rescoring with it; a short write then saves the model and the scores (a
    :class:`Rescorer` round in flight with the old model drops its scores when it finds the
    new model active). ``done()`` runs after that write
    (the writer process publishes the store). Returns the thread, or None when a refit of
    this store is already running."""

    key = str(store.path)
    with _refitting_lock:
        if key in _refitting:
            return None
        _refitting.add(key)

    def work():
        try:
            cur = store.cursor()
            asof = scoring_moment(cur)
            model = fit(cur, asof)
            if model is not None:
                update(cur, asof=asof, model=model, refit_days=refit_days,
                       write=store.writer)
                if done is not None:
                    done()
        except Exception:  # noqa: BLE001 - the active model keeps scoring; logged
            logging.getLogger(__name__).exception("foresight refit failed")
        finally:
            with _refitting_lock:
                _refitting.discard(key)

    thread = threading.Thread(target=work, name="foresight-refit", daemon=True)
    thread.start()
    return thread
