"""The guard's session cache (dashboard/auth/guard.py SessionCache) on a real accounts
database: it answers a session's repeated checks without SQLite, and never serves a
revoked session, a disabled account or a moved clock, whichever process changed it."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from dashboard.auth.guard import SessionCache
from dashboard.auth.store import AuthStore


class Clock:
    """The accounts store's clock, moved by the test instead of sleeping."""

    def __init__(self):
        self.at = datetime(2026, 12, 3, 12, 0, 0)

    def __call__(self):
        return self.at

    def advance(self, **kw):
        self.at += timedelta(**kw)


class Counting(AuthStore):
    """The real store, counting its session checks (what the cache saves)."""

    checks = 0

    def session_user(self, sid, now=None, touch=True):
        self.checks += 1
        return super().session_user(sid, now=now, touch=touch)


@pytest.fixture
def setup(tmp_path):
    clock = Clock()
    store = Counting(tmp_path / "auth.sqlite", clock=clock)
    store.add_user("ana", "analyst", "320612", "Secret-pass-9", city="3206")
    sid = store.create_session(store.user("ana"))
    # another process: its own AuthStore on the same file (the gridcmd user commands)
    other = AuthStore(tmp_path / "auth.sqlite", clock=clock)
    return store, other, sid, clock


def test_repeated_checks_are_answered_from_the_cache(setup):
    store, _, sid, _ = setup
    cache = SessionCache(store, ttl=60)
    assert cache.user(sid, touch=True).username == "ana"
    assert cache.user(sid, touch=True).username == "ana"
    assert cache.user(sid, touch=False).username == "ana"
    assert store.checks == 1
    assert cache.user("not-a-session", touch=True) is None
    assert cache.user(None, touch=True) is None


@pytest.mark.parametrize("change", ["disable", "passwd", "pii", "logout"])
def test_a_change_in_another_process_holds_at_once(setup, change):
    store, other, sid, _ = setup
    cache = SessionCache(store, ttl=60)
    assert cache.user(sid, touch=True).pii_clearance is False
    if change == "disable":
        other.set_disabled("ana")
    elif change == "passwd":
        other.set_password("ana", "Another-pass-9")
    elif change == "pii":
        other.set_pii("ana", True)
    else:
        other.end_session(sid)
    got = cache.user(sid, touch=True)
    if change == "pii":
        assert got.pii_clearance is True
    else:
        assert got is None
    assert store.checks == 2


def test_logout_in_this_process_forgets_the_session(setup):
    store, _, sid, _ = setup
    cache = SessionCache(store, ttl=60)
    assert cache.user(sid, touch=True) is not None
    cache.forget(sid)
    with sqlite3.connect(store.path) as con:  # deleted without moving the stamp
        con.execute("DELETE FROM sessions")
    assert cache.user(sid, touch=True) is None


def test_the_clock_and_the_ttl_bound_the_cache(setup):
    store, _, sid, clock = setup
    cache = SessionCache(store, ttl=30)
    assert cache.user(sid, touch=True) is not None
    with sqlite3.connect(store.path) as con:  # gone behind every stamp
        con.execute("DELETE FROM sessions")
    assert cache.user(sid, touch=True) is not None  # within the bound: trusted
    clock.advance(seconds=30)
    assert cache.user(sid, touch=True) is None  # past it: asked again


def test_a_touching_check_is_not_answered_by_an_automatic_one(setup):
    store, _, sid, clock = setup
    cache = SessionCache(store, ttl=60)
    assert cache.user(sid, touch=False) is not None
    assert cache.user(sid, touch=False) is not None
    assert store.checks == 1
    assert cache.user(sid, touch=True) is not None  # activity reaches the idle timer
    assert store.checks == 2


def test_without_ttl_every_check_reads_the_database(setup):
    store, _, sid, _ = setup
    cache = SessionCache(store, ttl=0)
    cache.user(sid, touch=True)
    cache.user(sid, touch=True)
    assert store.checks == 2
