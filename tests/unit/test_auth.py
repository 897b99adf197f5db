"""Accounts database, masking and small-count suppression, on real SQLite files."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from dashboard import access
from dashboard.auth.demo import DEMO_ACCOUNTS, demo_password, seed_demo_users
from dashboard.auth.store import AuthError, AuthStore, _now, digest
from dashboard.kpi.scope import Scope
from dashboard.privacy import mask_address, mask_id, mask_name, mask_phone, suppress_small


@pytest.fixture
def store(tmp_path):
    return AuthStore(tmp_path / "auth.sqlite", idle_minutes=30, absolute_hours=12)


def _add(store, name="ana", role="analyst", region="320612", password="Secret-pass-9", **kw):
    return store.add_user(name, role, region, password, city="3206", **kw)


# --- passwords ------------------------------------------------------------------------


def test_passwords_are_argon2_and_verify(store):
    _add(store)
    with sqlite3.connect(store.path) as con:
        stored = con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert "Secret-pass-9" not in stored
    assert store.authenticate("ana", "Secret-pass-9").username == "ana"
    assert store.authenticate("ana", "Wrong-pass-99") is None
    assert store.authenticate("nobody", "Secret-pass-9") is None


def test_weak_hashes_are_rehashed_on_login(store):
    _add(store)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("Secret-pass-9")
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE users SET password_hash = ?", (weak,))
    assert store.authenticate("ana", "Secret-pass-9") is not None
    with sqlite3.connect(store.path) as con:
        rehashed = con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert rehashed != weak
    assert not PasswordHasher().check_needs_rehash(rehashed)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "boss"}, "unknown role"),
        ({"region": "3207"}, "outside the city"),
        ({"region": "32061"}, "invalid region"),
        ({"region": "３２０６"}, "invalid region"),
        ({"region": "3206' OR 1=1"}, "invalid region"),
        ({"name": "a b"}, "invalid user name"),
        ({"password": "short"}, "too short"),
        ({"role": "grid_worker", "region": "320612001"}, "grid worker"),
        ({"role": "screen", "pii": True}, "never holds"),
        ({"region": "320612,320613"}, "only a grid worker"),
        ({"role": "grid_worker", "region": "320612001001001,320612001"}, "grid worker"),
        ({"role": "grid_worker", "region": "320612001001001,320612001001001"}, "repeat"),
        ({"role": "grid_worker", "region": "320612001001,320612001001001"}, "contain"),
        ({"role": "grid_worker", "region": "320612001001001,320702001001001"}, "outside"),
        ({"role": "grid_worker", "region": "320612001001001,"}, "invalid region"),
        ({"role": "grid_worker", "region": ",".join(f"3206120010010{i:02d}" for i in
                                                    range(1, 23))}, "at most 20"),
    ],
)
def test_bad_accounts_are_refused(store, kwargs, message):
    with pytest.raises(AuthError, match=message):
        _add(store, **kwargs)
    assert store.users() == []


def test_duplicate_user_is_refused(store):
    _add(store)
    with pytest.raises(AuthError, match="already exists"):
        _add(store, role="leader")
    assert [u.role for u in store.users()] == ["analyst"]


# --- sessions ---------------------------------------------------------------------------


def test_session_lifecycle(store):
    user = _add(store)
    sid = store.create_session(user)
    assert store.session_user(sid).username == "ana"
    with sqlite3.connect(store.path) as con:
        kept = con.execute("SELECT id_hash FROM sessions").fetchone()[0]
    assert kept == digest(sid) and sid not in kept
    assert store.session_user("not-a-session") is None
    assert store.session_user("") is None and store.session_user(None) is None
    store.end_session(sid)
    assert store.session_user(sid) is None


def test_sessions_expire_idle_and_absolute(store):
    user = _add(store)
    sid = store.create_session(user)
    assert store.session_user(sid, now=_now() + timedelta(minutes=29)) is not None
    # The request at +29 min refreshed the idle timer ...
    assert store.session_user(sid, now=_now() + timedelta(minutes=50)) is not None
    # ... but nothing survives the absolute limit.
    assert store.session_user(sid, now=_now() + timedelta(hours=12, minutes=1)) is None
    sid = store.create_session(user)
    assert store.session_user(sid, now=_now() + timedelta(minutes=31)) is None
    # An expired session is gone for good, even if asked about "earlier" again.
    assert store.session_user(sid) is None


def test_disable_and_password_change_revoke_sessions(store):
    user = _add(store)
    sid = store.create_session(user)
    store.set_disabled("ana")
    assert store.session_user(sid) is None
    assert store.authenticate("ana", "Secret-pass-9") is None
    store.set_disabled("ana", False)
    sid = store.create_session(store.user("ana"))
    store.set_password("ana", "Another-pass-9")
    assert store.session_user(sid) is None
    assert store.authenticate("ana", "Another-pass-9") is not None


def test_kiosk_tokens(store):
    _add(store, "wall", "screen", "3206", None)
    with pytest.raises(AuthError, match="screen accounts"):
        _add(store)
        store.create_token("ana")
    token = store.create_token("wall")
    user, token_id = store.token_user(token)
    assert user.role == "screen"
    sid = store.create_session(user, kind="kiosk", token_id=token_id)
    # No idle limit for a screen, but it dies with its token.
    assert store.session_user(sid, now=_now() + timedelta(days=2)) is not None
    assert store.revoke_tokens("wall") == 1
    assert store.token_user(token) is None
    assert store.session_user(sid) is None


# --- audit --------------------------------------------------------------------------------


def test_audit_is_append_only(store):
    user = _add(store)
    store.audit(user, Scope("320612", "analyst"), "detail", "person 7", [7])
    rows = store.audit_rows()
    assert len(rows) == 1
    assert rows[0]["username"] == "ana" and rows[0]["ids"] == [7]
    assert rows[0]["scope"] == "320612" and rows[0]["role"] == "analyst"
    with store.raw() as con:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE audit SET username = 'someone'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("DELETE FROM audit")
    assert store.audit_rows()[0]["username"] == "ana"


# --- demo accounts, scope ---------------------------------------------------------------


def test_demo_accounts_one_per_tier_and_role(store):
    created = seed_demo_users(store)
    assert len(created) == len(DEMO_ACCOUNTS)
    assert seed_demo_users(store) == []  # idempotent
    users = {u.username: u for u in store.users()}
    assert {u.role for u in users.values()} == {"leader", "analyst", "grid_worker", "screen",
                                                "admin"}
    assert {len(a) for u in users.values() for a in u.areas} == {4, 6, 9, 12, 15}
    assert users["grids_worker"].areas == ("320612001001002", "320612001001003")
    assert not users["screen"].pii_clearance
    for name in users:
        assert store.authenticate(name, demo_password(name)) is not None


def test_a_grid_worker_with_several_areas_starts_in_the_first(store):
    user = _add(store, "gw", "grid_worker", "320612001001002,320612001001003")
    assert user.areas == ("320612001001002", "320612001001003")
    assert user.scope == Scope("320612001001002", "grid_worker")
    assert user.scope_for("320612001001003").region == "320612001001003"
    for forged in (None, "", "320612001001001", "320612001001", "3206", "320612001001003 ",
                   "320612001001002,320612001001003"):
        assert user.scope_for(forged).region == "320612001001002", forged


def test_narrow_refuses_everything_outside(store):
    scope = Scope("320612001001", "analyst")
    assert access.narrow(scope, "320612001001001").region == "320612001001001"
    assert access.narrow(scope, "") == scope
    for code in ("320612001002", "320612001000", "320612", "3206", "320700000000"):
        with pytest.raises(access.Forbidden):
            access.narrow(scope, code)
    for code in ("%", "' OR 1=1 --", "３２０６", "32061", 3206):
        with pytest.raises(ValueError):
            access.narrow(scope, code)


def test_user_scope_fails_closed_without_a_request():
    with pytest.raises(access.Forbidden):
        access.user_scope()


# --- masking -------------------------------------------------------------------------------


def test_masking():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("") == ""
    assert mask_id("32061219800101123X") == "3****************X"
    assert mask_phone("13812341234") == "138****1234"
    village = "金沙街道东市社区居委会"
    assert mask_address(village + "3组12号", "东市社区居委会") == village
    assert mask_address("金沙街道东市社区居委会3组12号") == "金沙街道东市社区居委会"
    assert mask_address("幸福路１２号") == "幸福路"


@pytest.mark.parametrize(
    ("count", "level", "cleared", "shown"),
    [
        (0, "village", False, 0),
        (1, "village", False, "<5"),
        (4, "grid", False, "<5"),
        (5, "grid", False, 5),
        (3, "town", False, 3),
        (3, "county", False, 3),
        (3, "grid", True, 3),
    ],
)
def test_small_counts(count, level, cleared, shown):
    assert suppress_small(count, level, cleared) == shown


# --- issue 15: password policy, failed-login handling, timeouts with a moved clock -------


class Clock:
    """A clock the test moves (the store's ``clock``), instead of sleeping."""

    def __init__(self):
        self.t = _now()

    def __call__(self):
        return self.t

    def advance(self, **delta):
        self.t += timedelta(**delta)


@pytest.mark.parametrize(("password", "message"), [
    ("12345678", "too short"), ("password", "too short"), (" " * 8, "too short"),
    (" " * 12, "only spaces"), ("abcdefghijkl", "too simple"), ("ABCDEFGH1234", "too simple"),
    ("Password123!", "too common"), ("Qwerty123456", "too common"),
    ("Ana-2024-xyz", "user name"), ("ana", "too short"),
])
def test_password_policy_on_every_password_set(store, password, message):
    """GB/T 22239 8.1.4.1 a: ten characters, three classes, not the name, not common."""
    with pytest.raises(AuthError, match=message):
        _add(store, password=password)
    _add(store)
    with pytest.raises(AuthError, match=message):
        store.set_password("ana", password)
    assert store.authenticate("ana", "Secret-pass-9") is not None


def test_demo_passwords_meet_the_policy():
    from dashboard.auth.store import password_problem

    for name, *_ in DEMO_ACCOUNTS:
        assert password_problem(demo_password(name), name) is None


def test_failed_logins_back_off_then_lock_per_account(tmp_path):
    clock = Clock()
    store = AuthStore(tmp_path / "auth.sqlite", clock=clock)
    _add(store)
    waits = []
    for _ in range(9):
        assert store.login_state("ana")[0] == "ok"
        assert store.authenticate("ana", "Wrong-pass-99") is None
        store.login_failed("ANA")  # the name as typed: counted case-insensitively
        state, wait = store.login_state("ana")
        waits.append(wait)
        if state == "wait":
            clock.advance(seconds=wait - 1)
            assert store.login_state("ana") == ("wait", 1)
            clock.advance(seconds=1)
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16]
    failures, locked = store.login_failed("ana")
    assert (failures, locked) == (10, True)
    clock.advance(days=30)
    # Locked across processes and restarts: another store object on the same file.
    other = AuthStore(tmp_path / "auth.sqlite", clock=clock)
    assert other.login_state("ana") == ("locked", 0)
    assert "ana" in other.locked_names()
    assert other.unlock("ana") is True
    assert store.login_state("ana") == ("ok", 0)
    # A success resets the count; a name that is no account is counted the same way.
    for _ in range(4):
        store.login_failed("ana")
    store.login_succeeded("ana")
    assert store.login_failed("ana") == (1, False)
    for _ in range(10):
        store.login_failed("nobody")
    assert store.login_state("nobody") == ("locked", 0)


def test_sessions_time_out_idle_and_absolute_on_a_moved_clock(tmp_path):
    clock = Clock()
    store = AuthStore(tmp_path / "auth.sqlite", idle_minutes=30, absolute_hours=12,
                      kiosk_days=30, clock=clock)
    user = _add(store)
    sid = store.create_session(user)
    # Activity every 25 minutes keeps it alive ... up to the absolute limit.
    for _ in range(28):
        clock.advance(minutes=25)
        assert store.session_user(sid) is not None
    clock.advance(minutes=25)  # 12 h 5 min after login
    assert store.session_user(sid) is None
    # Automatic refreshes (touch=False) do not count as activity.
    sid = store.create_session(user)
    clock.advance(minutes=20)
    assert store.session_user(sid, touch=False) is not None
    clock.advance(minutes=11)
    assert store.session_user(sid, touch=False) is None
    # Kiosk sessions: no idle limit, kiosk_days absolute.
    _add(store, "wall", "screen", "3206", None)
    wall, token_id = store.token_user(store.create_token("wall"))
    sid = store.create_session(wall, kind="kiosk", token_id=token_id)
    clock.advance(days=29, hours=23)
    assert store.session_user(sid, touch=False) is not None
    clock.advance(hours=2)
    assert store.session_user(sid) is None


def test_is_demo_store_reads_the_mark_of_any_duckdb_file(demo_store, tmp_path):
    """The demo mark (``meta.demo_incidents``) is read from the file as it is: a demo store
    is one; another DuckDB file, a missing file, a file that is not a database and a file
    held open for writing are not."""
    import duckdb

    from dashboard.auth.demo import is_demo_store

    assert is_demo_store(demo_store)
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    assert not is_demo_store(other)
    assert not is_demo_store(tmp_path / "missing.duckdb")
    text = tmp_path / "text.duckdb"
    text.write_text("not a database")
    assert not is_demo_store(text)
    held = tmp_path / "held.duckdb"
    with duckdb.connect(str(held)) as con:
        con.execute("CREATE TABLE meta AS SELECT 'demo_incidents' AS key, '5' AS value")
        assert not is_demo_store(held)  # held by a writer (here: this process)
    assert is_demo_store(held)
