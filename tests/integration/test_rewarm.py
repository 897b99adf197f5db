"""Warming the caches again on a new store version (``dashboard/rewarm.py``): the recent
requests of the read callbacks are replayed as their users after a committed batch, so the
next look at those pages is a cache hit that already holds the batch; a replay cannot be
asked for from outside, and callbacks that write are never replayed."""

from __future__ import annotations

import time

import pytest
from auth_helpers import CITY_LEADER, TOWN_ANALYST, callback_request, login_client, post_callback

from dashboard import create_app, ids, pagememo, rewarm
from dashboard.settings import Settings
from dashboard.store import Store
from tests.integration.test_read_cache import (
    _body,
    _map_total,
    _panels,
    away_from_a_minute_turn,
    send_open_cases,
)
from tests.unit.ingest_helpers import copy_store

TOKEN = "rewarm-token"


def _send_batch(app, store, n=5, prefix="WARM"):
    send_open_cases(app, store, n, prefix, TOKEN)
    # the batch's rescoring round writes too (a version of its own): let it finish
    assert app.server.extensions["gridcmd_intake"].rescorer.wait(timeout=120)


@pytest.fixture
def live(ingest_store, tmp_path):
    path = copy_store(ingest_store, tmp_path)
    app = create_app(Settings.load(store=path, demo_on_start=False, intake_token=TOKEN))
    store: Store = app.server.extensions["gridcmd_store"]
    try:
        yield app, store
    finally:
        store.close()


def test_a_new_version_computes_the_recent_pages_before_they_are_asked_again(live):
    app, store = live
    warmer = rewarm.rewarmer_of(app.server)
    memo = pagememo.memo_of(app.server)
    viewer = app.server.test_client()
    login_client(viewer, *CITY_LEADER)
    town = app.server.test_client()
    login_client(town, *TOWN_ANALYST)
    away_from_a_minute_turn()
    before = _map_total(viewer, app)
    _panels(viewer, app)
    town_before = _panels(town, app)
    assert warmer.pending() == []  # each asked once: not worth a second computation yet
    assert _map_total(viewer, app) == before
    _panels(viewer, app)
    assert _panels(town, app) == town_before
    assert len(warmer.pending()) == 3  # two of the leader's, one of the town analyst's
    assert warmer.rounds == 0  # nothing to warm before a new version

    version = store.version()
    _send_batch(app, store)
    assert store.version() != version
    # the first request that reads the new version starts the round: here a look at
    # another county, which is not one of the recorded ones
    assert post_callback(viewer, _body(app, ids.OVERVIEW_LEAGUE_LIST, "320612000000")
                         ).status_code == 200
    assert warmer.idle.wait(120), "the round did not finish"
    # the three, and the league itself when it was recorded before the round began
    assert warmer.rounds == 1 and warmer.replayed >= 3 and warmer.failed == 0

    computed = dict(memo.computed)
    # the leader's map already holds the batch, and comes from the memo
    assert _map_total(viewer, app) == before + 5
    _panels(viewer, app)
    town_after = _panels(town, app)
    assert memo.computed["map_out"] == computed["map_out"]
    assert memo.computed["panels_out"] == computed["panels_out"]
    # each replay ran as its own user: the town analyst's page is the town's, not the city's
    assert town_after.keys() == town_before.keys()
    assert _panels(viewer, app) != town_after


def test_requests_that_failed_or_write_are_not_replayed(live):
    app, store = live
    warmer = rewarm.rewarmer_of(app.server)
    town = app.server.test_client()
    login_client(town, *TOWN_ANALYST)
    # outside the town analyst's jurisdiction: 403, not recorded
    assert post_callback(town, _body(app, ids.OVERVIEW_CARDS_DIV, "320612000000")
                         ).status_code == 403
    assert warmer.pending() == []
    # the person list writes the audit log: its page's callback is not allowed, the
    # other analysis pages' are
    persons = next(k for k in app.callback_map if ids.page_id("persons", "total", "text") in k)
    cases = next(k for k in app.callback_map if ids.page_id("cases", "total", "text") in k)
    assert not warmer.allowed(persons)
    assert warmer.allowed(cases)
    body = callback_request(app, ids.page_id("cases", "total", "text"),
                            [{"id": ids.FILTER_URL, "property": "search",
                              "value": "?period=30d"}])
    for _ in range(2):
        assert post_callback(town, body).status_code == 200
    assert len(warmer.pending()) == 1


def test_a_replay_cannot_be_asked_for_from_outside(live):
    app, _store = live
    anonymous = app.server.test_client()
    body = _body(app, ids.OVERVIEW_CARDS_DIV)
    # a header never becomes the environ key a replay's user travels in
    resp = post_callback(anonymous, body, **{rewarm.REPLAY_USER: "city_leader"})
    assert resp.status_code == 401
    resp = post_callback(anonymous, body, **{"Gridcmd-Replay-User": "city_leader"})
    assert resp.status_code == 401
    assert rewarm.rewarmer_of(app.server).pending() == []


def test_a_round_stops_when_a_newer_version_arrives(live):
    app, _store = live
    warmer = rewarm.rewarmer_of(app.server)
    viewer = app.server.test_client()
    login_client(viewer, *CITY_LEADER)
    for region in ("", "320612000000", "320623000000") * 2:
        _panels(viewer, app, region)
    started = []
    real = warmer.replay

    def replay(seen):
        started.append(seen)
        if len(started) == 1:
            warmer.saw("v-newer")  # arrives while the first replay runs
        return real(seen)

    warmer.replay = replay
    assert warmer.rounds == 0  # the requests above read the process's first version
    warmer.saw("v-second")  # as a request reading a new version does
    assert warmer.idle.wait(120)
    # the first round stopped after one replay; the second replayed all three
    assert warmer.rounds == 2
    assert len(started) == 1 + 3


def test_off_when_its_seconds_are_zero(ingest_store, tmp_path):
    path = copy_store(ingest_store, tmp_path)
    app = create_app(Settings.load(store=path, demo_on_start=False, rewarm_seconds=0))
    assert rewarm.rewarmer_of(app.server) is None
    with pytest.raises(ValueError):
        Settings.load(store=path, demo_on_start=False, rewarm_seconds=-1)


def test_a_round_waits_while_a_users_request_is_under_way(live):
    app, _store = live
    warmer = rewarm.rewarmer_of(app.server)
    viewer = app.server.test_client()
    login_client(viewer, *CITY_LEADER)
    for _ in range(2):
        _panels(viewer, app)
    warmer.began()  # as a request of a user, still computing
    warmer.saw("v-next")
    time.sleep(1.0)
    assert warmer.replayed == 0 and not warmer.idle.is_set()
    warmer.ended()
    assert warmer.idle.wait(120)
    assert warmer.rounds == 1 and warmer.replayed == 1 and warmer.failed == 0
