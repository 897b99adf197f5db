"""Incremental scoring: an intake batch of cases is answered once committed, then scored
in the background (``foresight.run.Rescorer``: the at-risk queue and surge alerts,
docs/foresight.md), with the active model, as of the store's clock; batches arriving during
a round share the next one; a refit that is due runs after it, in a thread of its own, off
the write lock; a round with a model a refit replaced meanwhile stores nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from dashboard import create_app
from dashboard.clock import store_now
from dashboard.settings import Settings
from tests.unit.ingest_helpers import copy_store, incident_rows

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(ingest_store, tmp_path, request):
    """A server with intake on, over a private copy of the small demo store; settings
    beyond the intake token come from ``@pytest.mark.parametrize("app", [{…}],
    indirect=True)`` (none: the defaults)."""
    path = copy_store(ingest_store, tmp_path)
    app = create_app(Settings.load(store=path, demo_on_start=False, intake_token=TOKEN,
                                   **getattr(request, "param", {})))
    yield app
    app.server.extensions["gridcmd_store"].close()


def test_an_intake_batch_is_scored_at_once(app):
    client = app.server.test_client()
    con = app.server.extensions["gridcmd_store"].cursor()
    before = con.execute("SELECT model_version, count(*) FROM foresight_scores "
                         "WHERE kind = 'risk' GROUP BY 1").fetchall()
    assert len(before) == 1  # the demo build scored its open cases with one model
    rows = incident_rows(con, 4, prefix="RISK")
    stamp = (store_now(con) - timedelta(minutes=30)).replace(microsecond=0)
    for r in rows:
        r.update(reported_at=str(stamp), registered_at=str(stamp + timedelta(minutes=5)),
                 closed_at="")
    body = client.post("/api/intake/incidents", headers=AUTH, json=rows).get_json()
    assert body["inserted"] == 4 and body["rescoring"] == "queued", body
    assert app.server.extensions["gridcmd_intake"].rescorer.wait(timeout=120)
    got = con.execute("""
        SELECT s.case_no, s.stage, s.model_version, s.probability, i.deadline_at
        FROM foresight_scores s JOIN incidents i ON i.id = s.case_id
        WHERE s.case_no LIKE 'RISK%' ORDER BY 1""").fetchall()
    assert [g[0] for g in got] == [r["case_no"] for r in rows]
    assert {g[2] for g in got} == {before[0][0]}  # no refit: the active model scored them
    assert all(g[1] == "registered" and 0 <= g[3] <= 1 for g in got)
    # every stored score is of one moment, after the batch
    moments = con.execute("SELECT DISTINCT asof_at FROM foresight_scores "
                          "WHERE kind = 'risk'").fetchall()
    assert len(moments) == 1 and moments[0][0] >= stamp


def _refits():
    return [t for t in threading.enumerate() if t.name == "foresight-refit"]


# the active model always due for a refit
@pytest.mark.parametrize("app", [{"foresight_refit_days": 0}], indirect=True)
def test_a_due_refit_runs_after_the_batch_not_inside_it(app):
    client = app.server.test_client()
    con = app.server.extensions["gridcmd_store"].cursor()
    (old,) = con.execute("SELECT model_version FROM foresight_models "
                         "WHERE active AND kind = 'risk'").fetchone()
    rows = incident_rows(con, 3, prefix="LATE")
    stamp = (store_now(con) - timedelta(minutes=20)).replace(microsecond=0)
    for r in rows:
        r.update(reported_at=str(stamp), registered_at=str(stamp + timedelta(minutes=5)),
                 closed_at="")
    body = client.post("/api/intake/incidents", headers=AUTH, json=rows).get_json()
    assert body["inserted"] == 3, body
    assert app.server.extensions["gridcmd_intake"].rescorer.wait(timeout=120)
    # the batch was scored by the model that was active when it arrived
    assert {v for (v,) in con.execute("SELECT DISTINCT model_version FROM foresight_scores "
                                      "WHERE case_no LIKE 'LATE%'").fetchall()} == {old}
    running = _refits()
    assert running, "a due refit should have been handed to a background thread"
    for t in running:
        t.join(timeout=300)
        assert not t.is_alive()
    active = con.execute("SELECT model_version, count(*) OVER () FROM foresight_models "
                         "WHERE active AND kind = 'risk'").fetchall()
    assert len(active) == 1 and active[0][0] != old
    # and every open case was rescored with it, the batch's among them
    versions = con.execute("SELECT DISTINCT model_version FROM foresight_scores "
                           "WHERE kind = 'risk'").fetchall()
    assert versions == [(active[0][0],)]
    assert con.execute("SELECT count(*) FROM foresight_scores WHERE case_no LIKE 'LATE%'")\
        .fetchone()[0] == 3


def _open_rows(con, prefix: str, n: int, minutes: int = 30) -> list[dict]:
    """``n`` open registered cases reported ``minutes`` before the store's clock."""
    rows = incident_rows(con, n, prefix=prefix, seed=len(prefix) + n)
    stamp = (store_now(con) - timedelta(minutes=minutes)).replace(microsecond=0)
    for r in rows:
        r.update(reported_at=str(stamp), registered_at=str(stamp + timedelta(minutes=5)),
                 closed_at="")
    return rows


def _scored(con, prefix: str) -> int:
    return con.execute("SELECT count(*) FROM foresight_scores "
                       "WHERE kind = 'risk' AND starts_with(case_no, $p)", {"p": prefix}
                       ).fetchone()[0]


def test_batches_during_a_round_are_answered_at_once_and_share_the_next_round(app):
    """A round under way holds no batch back: the batches sent meanwhile are answered
    (committed, readable) before it ends, and one more round scores all of them."""
    client = app.server.test_client()
    con = app.server.extensions["gridcmd_store"].cursor()
    rescorer = app.server.extensions["gridcmd_intake"].rescorer
    in_round, release = threading.Event(), threading.Event()

    def held():  # the end of a round (where the writer process publishes): held open here
        in_round.set()
        assert release.wait(60)

    rescorer.done = held
    first = client.post("/api/intake/incidents", headers=AUTH,
                        json=_open_rows(con, "RA", 3)).get_json()
    assert first["inserted"] == 3 and first["rescoring"] == "queued", first
    assert in_round.wait(120)  # round 1 stored its scores and is held in done()
    assert _scored(con, "RA") == 3
    for prefix in ("RB", "RC", "RD"):
        body = client.post("/api/intake/incidents", headers=AUTH,
                           json=_open_rows(con, prefix, 2)).get_json()
        assert body["inserted"] == 2, body
        # answered while round 1 is still open: committed and readable, not yet scored
        assert con.execute("SELECT count(*) FROM incidents WHERE starts_with(case_no, $p)",
                           {"p": prefix}).fetchone()[0] == 2
        assert _scored(con, prefix) == 0
    assert rescorer.rounds == 0  # round 1 has not finished
    release.set()
    assert rescorer.wait(timeout=120)
    assert rescorer.rounds == 2  # the three batches shared one round
    assert [_scored(con, p) for p in ("RA", "RB", "RC", "RD")] == [3, 2, 2, 2]
    # the rounds record how far they followed the import log (read by catch_up)
    newest, followed = con.execute(
        "SELECT (SELECT max(id) FROM import_batches WHERE kind = 'incidents'), "
        "(SELECT value FROM meta WHERE key = 'foresight_batch')").fetchone()
    assert followed == str(newest)
    assert rescorer.catch_up() is False


def test_a_batch_committed_without_its_round_is_rescored_by_catch_up(app):
    """A writer killed between a batch's commit and its round: the import log has a batch
    no round followed, which ``catch_up`` (run when the writer starts) finds and scores."""
    from dashboard.ingest.load import load_records

    client = app.server.test_client()
    store = app.server.extensions["gridcmd_store"]
    con = store.cursor()
    rescorer = app.server.extensions["gridcmd_intake"].rescorer
    client.post("/api/intake/incidents", headers=AUTH, json=_open_rows(con, "CA", 2))
    assert rescorer.wait(timeout=120) and rescorer.catch_up() is False
    with store.writer() as cur:  # committed as a batch is, with no round after it
        assert load_records(cur, "incidents", _open_rows(con, "CB", 3),
                            source="http:test").loaded == 3
    assert _scored(con, "CB") == 0
    rounds = rescorer.rounds
    assert rescorer.catch_up() is True
    assert rescorer.wait(timeout=120)
    assert rescorer.rounds == rounds + 1 and _scored(con, "CB") == 3
    assert rescorer.catch_up() is False


def test_a_round_whose_model_was_replaced_meanwhile_stores_nothing(app):
    """A round reads off the write lock; when a refit activated another model before the
    round stores, the round's scores (of the old model) are dropped, not stored over the
    refit's."""
    from contextlib import contextmanager

    from dashboard.foresight import run as R

    store = app.server.extensions["gridcmd_store"]
    con = store.cursor()
    stored = ("SELECT case_id, model_version, asof_at, probability FROM foresight_scores "
              "WHERE kind = 'risk' ORDER BY 1")
    before = con.execute(stored).fetchall()
    (old,) = con.execute("SELECT model_version FROM foresight_models "
                         "WHERE active AND kind = 'risk'").fetchone()

    @contextmanager
    def refit_then_write():
        with store.writer() as w:  # as if a refit saved a new active model just now
            w.execute("UPDATE foresight_models SET active = false WHERE kind = 'risk'")
            w.execute("INSERT INTO foresight_models SELECT 'risk-replaced', kind, "
                      "fitted_at, train_from, train_to, n_rows, true, params "
                      "FROM foresight_models WHERE model_version = $v", {"v": old})
            yield w

    out = R.update(con, write=refit_then_write, fit_when_due=False)
    assert out.get("superseded") is True and out["scored"] == 0
    assert con.execute(stored).fetchall() == before
    # with the old model active again, the same kind of round stores its scores
    with store.writer() as w:
        w.execute("DELETE FROM foresight_models WHERE model_version = 'risk-replaced'")
        w.execute("UPDATE foresight_models SET active = true WHERE model_version = $v",
                  {"v": old})
    out = R.update(con, write=store.writer, fit_when_due=False)
    after = con.execute(stored).fetchall()
    # the cases open with a deadline still ahead at the round's moment: those scored
    # before, less any whose deadline has passed since (the store's clock is the wall
    # clock: CI saw 34 of 35, the session's store scored eight minutes earlier)
    assert "superseded" not in out and out["scored"] == len(after) > 0
    assert {r[0] for r in after} <= {r[0] for r in before}
    assert {r[1] for r in after} == {old} and after != before  # a new moment's scores
