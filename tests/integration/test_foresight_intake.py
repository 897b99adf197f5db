"""Incremental scoring: an intake batch of cases is scored in the same request (the at-risk
queue, docs/foresight.md), with the active model, as of the store's clock; a refit that is
due runs after the request, in a background thread, off the write lock."""

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
    assert body["inserted"] == 4, body
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
