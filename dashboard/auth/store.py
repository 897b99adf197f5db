"""Accounts, sessions, kiosk tokens and the audit log, in their own SQLite file.

The DuckDB store is opened read-only by the server and may be swapped by a rebuild, so
nothing that changes while serving lives there. This module keeps it in SQLite (stdlib,
WAL, one short connection per call, so it is safe across threads and forked workers):

- ``users``: one row per account; password hashes are argon2id (``argon2-cffi``), rehashed
  on login when the parameters change.
- ``sessions``: server-side sessions. The cookie carries a random id; only its SHA-256 is
  stored, so a copy of this file does not hand out live sessions. A row can be deleted
  (logout, disable), which revokes it on the next request.
- ``kiosk_tokens``: long-lived tokens for big screens (``screen`` role), stored hashed,
  revocable; a kiosk session dies with its token.
- ``audit``: append-only. Triggers abort every UPDATE and DELETE, so even code holding the
  file cannot rewrite history through SQL (the file itself must still be protected and
  backed up; see docs/security.md). Its ``ids`` column holds the ids a response returned,
  in their order (:func:`encode_ids`): a JSON list up to :data:`AUDIT_TEXT_IDS` of them,
  a compressed list beyond (a city-wide 30-day export of 280k cases at 10M: 2.5 MB as JSON,
  0.3 kB compressed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sqlite3
import zlib
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboard.kpi.scope import REGION_LENGTHS, ROLES, Scope

ROLE_NAMES = {
    "leader": "指挥长",
    "analyst": "分析员",
    "grid_worker": "网格员",
    "screen": "大屏",
    "admin": "管理员",
}
USERNAME = re.compile(r"[A-Za-z0-9_.-]{2,40}")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong
# password and timing does not reveal which accounts exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")

SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    region        TEXT NOT NULL,
    password_hash TEXT,
    pii_clearance INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL,
    token_id    INTEGER,
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS kiosk_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    username  TEXT NOT NULL,
    role      TEXT NOT NULL,
    scope     TEXT NOT NULL,
    action    TEXT NOT NULL,
    what      TEXT NOT NULL,
    ids       TEXT NOT NULL,
    client    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS login_failures (
    name        TEXT PRIMARY KEY,
    failures    INTEGER NOT NULL,
    last_at     TEXT NOT NULL,
    locked_at   TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"""


AUDIT_TEXT_IDS = 100
"""Up to this many ids an audit row keeps them as JSON text, readable in any SQLite tool;
more are kept compressed (:func:`encode_ids`)."""
_IDS_MAGIC = b"GCIDS1"  # a compressed id list: magic, width, first id, zlib(differences)


def encode_ids(ids) -> str | bytes:
    """The ``audit.ids`` value of ``ids`` (integers, in the order the response returned
    them): a JSON list up to :data:`AUDIT_TEXT_IDS`, else bytes: :data:`_IDS_MAGIC`, the
    byte width of the differences between neighbours (1, 2, 4 or 8), the first id (8
    bytes, little-endian) and the zlib-compressed differences. A case export lists ids in
    report order, so most differences fit in one byte and compress well.
    :func:`decode_ids` returns the list written, order and repeats kept."""
    values = (np.asarray(ids, dtype=np.int64) if isinstance(ids, np.ndarray)
              else np.fromiter((int(i) for i in ids), dtype=np.int64))
    if len(values) <= AUDIT_TEXT_IDS:
        return json.dumps(values.tolist())
    steps = np.diff(values)
    low, high = (int(steps.min()), int(steps.max())) if len(steps) else (0, 0)
    width = next(w for w in (1, 2, 4, 8)
                 if np.iinfo(f"<i{w}").min <= low and high <= np.iinfo(f"<i{w}").max)
    return (_IDS_MAGIC + bytes([width]) + int(values[0]).to_bytes(8, "little", signed=True)
            + zlib.compress(steps.astype(f"<i{width}").tobytes(), 6))


def decode_ids(value: str | bytes) -> list[int]:
    """The ids of an ``audit.ids`` value, either form of :func:`encode_ids`."""
    if isinstance(value, str):
        return [int(i) for i in json.loads(value)]
    value = bytes(value)
    if not value.startswith(_IDS_MAGIC):
        raise ValueError("not an audit id list")
    head = len(_IDS_MAGIC)
    width = value[head]
    first = int.from_bytes(value[head + 1:head + 9], "little", signed=True)
    steps = np.frombuffer(zlib.decompress(value[head + 9:]), dtype=f"<i{width}")
    return np.cumsum(np.concatenate(([first], steps.astype(np.int64)))).tolist()


def ids_text(ids: list[int], width: int = 80) -> str:
    """An audit row's ids in at most ``width`` characters: the count, then the first ids."""
    head = f"{len(ids):,} · " if len(ids) > 1 else ""
    text = head + ", ".join(map(str, ids))
    return text if len(text) <= width else text[:width - 1] + "…"


class AuthError(ValueError):
    """Bad input to an account operation (unknown role, duplicate user ...)."""


@dataclass(frozen=True)
class User:
    """An account as the request handlers see it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    region: str
    pii_clearance: bool
    disabled: bool

    @property
    def areas(self) -> tuple[str, ...]:
        """The account's areas: one region, or for a grid worker possibly several grids or
        villages (``region`` is then a comma list)."""
        return tuple(self.region.split(","))

    @property
    def scope(self) -> Scope:
        """The scope of the account's first area (what a session starts in)."""
        return Scope(self.areas[0], self.role)

    def scope_for(self, choice: str | None) -> Scope:
        """The scope of area ``choice`` if it is one of the account's own, else of the first.

        ``choice`` comes from the browser (the area cookie): anything else than one of
        :attr:`areas`, character for character, is ignored.
        """
        return Scope(choice if choice in self.areas else self.areas[0], self.role)

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(t: datetime) -> str:
    return t.isoformat()


def digest(secret: str) -> str:
    """SHA-256 of a session id or token: what the database keeps instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


MAX_AREAS = 20  # areas of one grid worker (a comma list in ``users.region``)


def check_region(region: str, city: str) -> str:
    """Validate an account's region: a short code (4/6/9/12) or a grid code inside ``city``."""
    if not isinstance(region, str) or not region.isascii() or not region.isdigit() \
            or len(region) not in REGION_LENGTHS:
        raise AuthError(f"invalid region {region!r}: expected a short code of 4, 6, 9 or 12 "
                        "digits or a 15-digit grid code")
    if not region.startswith(city):
        raise AuthError(f"region {region} is outside the city {city}")
    return region


class AuthStore:
    """The accounts database at ``path`` (created with its schema on first use).

    Parameters
    ----------
    path : Path
        SQLite file; its directory is created if missing.
    idle_minutes, absolute_hours : int
        A password session ends after this long without a request, or this long after
        login, whichever comes first.
    kiosk_days : int
        Absolute lifetime of a session started from a kiosk token (the token itself lives
        until revoked; the screen simply opens its URL again).
    """

    def __init__(self, path: str | Path, idle_minutes: int = 30, absolute_hours: int = 12,
                 kiosk_days: int = 30, clock=None):
        self.path = Path(path)
        self.clock = clock
        self.idle = timedelta(minutes=idle_minutes)
        self.absolute = timedelta(hours=absolute_hours)
        self.kiosk = timedelta(days=kiosk_days)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(SCHEMA)

    @property
    def _stamp_path(self) -> str:
        return f"{self.path}.revoked"

    def revocations(self) -> tuple[int, int]:
        """A stamp that changes whenever any process ends a session or changes an account
        (logout, disable, password, clearance, kiosk token revoked): the mtime and size of
        the file ``<auth_db>.revoked``; (0, 0) before the first. A process may trust a
        session it checked while this stamp stays the same (``guard.SessionCache``)."""
        try:
            st = os.stat(self._stamp_path)
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    def _revoked(self) -> None:
        """Move :meth:`revocations` on (after the change is committed)."""
        with open(self._stamp_path, "a", encoding="ascii") as fh:
            if fh.tell() >= 4096:
                fh.truncate(0)
            fh.write(".")  # a byte more each time: the stamp moves within one mtime tick

    def now(self) -> datetime:
        """The store's clock: UTC now, or the ``clock`` given (tests move it)."""
        return (self.clock() if self.clock else _now()).replace(microsecond=0)

    @contextmanager
    def _connect(self):
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("PRAGMA busy_timeout = 10000")
            yield con
        finally:
            con.close()

    # --- users -------------------------------------------------------------------------

    def add_user(self, username: str, role: str, region: str, password: str | None, *,
                 city: str, display_name: str = "", pii: bool = False) -> User:
        """Create an account; every problem is an :class:`AuthError` and nothing is written."""
        self.check_new(username, role, region, city=city, pii=pii)
        if role == "screen":
            if password is not None:
                check_password(password, username)
        else:
            if password is None:
                raise AuthError(f"role {role} needs a password")
            check_password(password, username)
        now = _iso(self.now())
        with self._connect() as con:
            try:
                cur = con.execute(
                    "INSERT INTO users (username, display_name, role, region, password_hash,"
                    " pii_clearance, disabled, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    (username, display_name or username, role, region,
                     hash_password(password) if password is not None else None,
                     int(pii), now, now),
                )
            except sqlite3.IntegrityError:
                raise AuthError(f"user {username!r} already exists") from None
            return self.user_by_id(cur.lastrowid)

    def check_new(self, username: str, role: str, region: str, *, city: str,
                  pii: bool = False) -> None:
        """Everything :meth:`add_user` checks but the password, without writing."""
        if not isinstance(username, str) or not USERNAME.fullmatch(username):
            raise AuthError(f"invalid user name {username!r}: 2-40 letters, digits, . _ -")
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}: expected one of "
                            f"{', '.join(sorted(ROLES))}")
        areas = region.split(",") if isinstance(region, str) else [region]
        for area in areas:
            check_region(area, city)
        if len(areas) > 1 and role != "grid_worker":
            raise AuthError(f"only a grid worker holds several areas; a {role} is assigned "
                            "one region")
        if len(areas) > MAX_AREAS:
            raise AuthError(f"at most {MAX_AREAS} areas per account, not {len(areas)}")
        if role == "grid_worker":
            short = [a for a in areas if len(a) < 12]
            if short:
                raise AuthError("a grid worker is assigned villages (12 digits) or grids "
                                f"(15 digits), not {short[0]}")
        overlap = [(a, b) for a in areas for b in areas if a != b and b.startswith(a)]
        if len(set(areas)) != len(areas) or overlap:
            raise AuthError(f"areas repeat or contain one another: {region}")
        if role == "screen" and pii:
            raise AuthError("the screen role never holds personal-data clearance")
        if self.user(username) is not None:
            raise AuthError(f"user {username!r} already exists")

    def user(self, username: str) -> User | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        return _user(row) if row else None

    def user_by_id(self, user_id: int) -> User | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def users(self) -> list[User]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM users ORDER BY username").fetchall()
        return [_user(r) for r in rows]

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        """Disable (or re-enable) an account; disabling ends its sessions and tokens at once."""
        user = self._existing(username)
        now = _iso(self.now())
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
                        (int(disabled), now, user.id))
            if disabled:
                con.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
                con.execute("UPDATE kiosk_tokens SET revoked_at = ? "
                            "WHERE user_id = ? AND revoked_at IS NULL", (now, user.id))
            con.execute("COMMIT")
        self._revoked()
        return self.user_by_id(user.id)

    def set_pii(self, username: str, pii: bool) -> User:
        user = self._existing(username)
        if pii and user.role == "screen":
            raise AuthError("the screen role never holds personal-data clearance")
        with self._connect() as con:
            con.execute("UPDATE users SET pii_clearance = ?, updated_at = ? WHERE id = ?",
                        (int(pii), _iso(self.now()), user.id))
        self._revoked()
        return self.user_by_id(user.id)

    def set_password(self, username: str, password: str) -> None:
        """New password; every session of the user ends (a reset after a suspected leak)."""
        user = self._existing(username)
        check_password(password, username)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                        (hash_password(password), _iso(self.now()), user.id))
            con.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
            con.execute("COMMIT")
        self._revoked()

    def _existing(self, username: str) -> User:
        user = self.user(username)
        if user is None:
            raise AuthError(f"no such user {username!r}")
        return user

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password matches and the account is enabled, else ``None``.

        Rehashes the password when argon2's parameters changed since it was stored.
        """
        with self._connect() as con:
            row = con.execute("SELECT * FROM users WHERE username = ?",
                              (username,)).fetchone()
        stored = row["password_hash"] if row else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or stored is None or row["disabled"]:
            return None
        if _HASHER.check_needs_rehash(stored):
            with self._connect() as con:
                con.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                            (hash_password(password), row["id"]))
        return _user(row)

    # --- failed logins: per account, whatever the address --------------------------------

    def login_state(self, username: str) -> tuple[str, int]:
        """Whether a login for ``username`` may be tried now: ``("ok", 0)``, ``("wait",
        seconds)`` during the back-off, or ``("locked", 0)`` until an admin unlocks.

        Counted per name as typed (lower case), whether the account exists or not, so the
        answers do not tell which names are accounts. In SQLite, so every process and
        every restart sees the same count."""
        with self._connect() as con:
            row = con.execute("SELECT * FROM login_failures WHERE name = ?",
                              (_name_key(username),)).fetchone()
        if row is None:
            return "ok", 0
        if row["locked_at"]:
            return "locked", 0
        wait = backoff_seconds(row["failures"])
        if wait:
            left = datetime.fromisoformat(row["last_at"]) + timedelta(seconds=wait) - self.now()
            if left.total_seconds() > 0:
                return "wait", max(1, int(left.total_seconds() + 0.999))
        return "ok", 0

    def login_failed(self, username: str) -> tuple[int, bool]:
        """Count a failed login of ``username``; returns (failures, locked now)."""
        key = _name_key(username)
        now = _iso(self.now())
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO login_failures (name, failures, last_at) VALUES (?, 1, ?) "
                        "ON CONFLICT(name) DO UPDATE SET failures = failures + 1, "
                        "last_at = excluded.last_at", (key, now))
            failures = con.execute("SELECT failures FROM login_failures WHERE name = ?",
                                   (key,)).fetchone()[0]
            locked = failures >= LOCK_AFTER
            if locked:
                con.execute("UPDATE login_failures SET locked_at = coalesce(locked_at, ?) "
                            "WHERE name = ?", (now, key))
            con.execute("COMMIT")
        return failures, locked

    def login_succeeded(self, username: str) -> None:
        with self._connect() as con:
            con.execute("DELETE FROM login_failures WHERE name = ? AND locked_at IS NULL",
                        (_name_key(username),))

    def unlock(self, username: str) -> bool:
        """Lift the lock (and the count) of failed logins; True if there was one."""
        with self._connect() as con:
            cur = con.execute("DELETE FROM login_failures WHERE name = ?",
                              (_name_key(username),))
            return cur.rowcount > 0

    def locked_names(self) -> list[str]:
        with self._connect() as con:
            return [r[0] for r in con.execute(
                "SELECT name FROM login_failures WHERE locked_at IS NOT NULL ORDER BY name")]

    # --- sessions ----------------------------------------------------------------------

    def create_session(self, user: User, kind: str = "password",
                       token_id: int | None = None) -> str:
        """Start a session and return its id (the cookie value; only its digest is kept)."""
        sid = secrets.token_urlsafe(32)
        now = self.now()
        life = self.kiosk if kind == "kiosk" else self.absolute
        with self._connect() as con:
            con.execute(
                "INSERT INTO sessions (id_hash, user_id, kind, token_id, created_at, last_seen,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (digest(sid), user.id, kind, token_id, _iso(now), _iso(now), _iso(now + life)),
            )
        return sid

    def session_user(self, sid: str | None, now: datetime | None = None,
                     touch: bool = True) -> User | None:
        r"""The enabled user of a live session, refreshing its idle timer; else ``None``.

        Expired sessions are deleted on sight: ``session_idle_minutes`` after the last
        request that ``touch``\ ed it (automatic refreshes do not, so an open page alone
        does not keep a session alive), ``session_hours`` after login whatever happens.
        Kiosk sessions have no idle limit (a screen polls anyway) but end with their token
        or after ``kiosk_days``.
        """
        if not sid or not isinstance(sid, str) or len(sid) > 200:
            return None
        now = now or self.now()
        key = digest(sid)
        with self._connect() as con:
            row = con.execute(
                "SELECT s.*, u.disabled AS u_disabled, k.revoked_at AS k_revoked "
                "FROM sessions s JOIN users u ON u.id = s.user_id "
                "LEFT JOIN kiosk_tokens k ON k.id = s.token_id WHERE s.id_hash = ?",
                (key,)).fetchone()
            if row is None:
                return None
            idle_out = (row["kind"] != "kiosk"
                        and datetime.fromisoformat(row["last_seen"]) + self.idle <= now)
            dead = (datetime.fromisoformat(row["expires_at"]) <= now or idle_out
                    or row["u_disabled"] or (row["kind"] == "kiosk" and row["k_revoked"]))
            if dead:
                con.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
                return None
            # One write a minute at most, not one per request of a polling screen.
            if touch and datetime.fromisoformat(row["last_seen"]) + timedelta(minutes=1) <= now:
                con.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?",
                            (_iso(now), key))
            user_id = row["user_id"]
        return self.user_by_id(user_id)

    def end_session(self, sid: str | None) -> None:
        if sid:
            with self._connect() as con:
                con.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(sid),))
            self._revoked()

    # --- kiosk tokens ------------------------------------------------------------------

    def create_token(self, username: str) -> str:
        """A new kiosk token for a ``screen`` account (shown once; only its digest is kept)."""
        user = self._existing(username)
        if user.role != "screen":
            raise AuthError(f"kiosk tokens are for screen accounts; {username} is {user.role}")
        if user.disabled:
            raise AuthError(f"user {username!r} is disabled")
        token = secrets.token_urlsafe(32)
        with self._connect() as con:
            con.execute("INSERT INTO kiosk_tokens (user_id, token_hash, created_at) "
                        "VALUES (?, ?, ?)", (user.id, digest(token), _iso(self.now())))
        return token

    def revoke_tokens(self, username: str) -> int:
        """Revoke every kiosk token of the user (their sessions end with them)."""
        user = self._existing(username)
        with self._connect() as con:
            cur = con.execute("UPDATE kiosk_tokens SET revoked_at = ? "
                              "WHERE user_id = ? AND revoked_at IS NULL",
                              (_iso(self.now()), user.id))
            count = cur.rowcount
        self._revoked()
        return count

    def token_user(self, token: str) -> tuple[User, int] | None:
        """The screen user and token id of a valid kiosk token, else ``None``."""
        if not token or len(token) > 200:
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT k.id AS token_id, u.* FROM kiosk_tokens k JOIN users u "
                "ON u.id = k.user_id WHERE k.token_hash = ? AND k.revoked_at IS NULL",
                (digest(token),)).fetchone()
        if row is None or row["disabled"] or row["role"] != "screen":
            return None
        return _user(row), row["token_id"]

    # --- audit -------------------------------------------------------------------------

    def audit(self, user: User, scope: Scope, action: str, what: str, ids, client: str = "",
              ) -> None:
        """Append one audit record (who, role, scope, when, what, which ids)."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO audit (at, username, role, scope, action, what, ids, client) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_iso(self.now()), user.username, user.role, scope.region, action, what,
                 encode_ids(ids), client[:100]),
            )

    def audit_event(self, username: str, role: str, scope: str, action: str, what: str,
                    client: str = "") -> None:
        """Append an audit record of something done without a session (a lockout, an
        unlock from the command line)."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO audit (at, username, role, scope, action, what, ids, client) "
                "VALUES (?, ?, ?, ?, ?, ?, '[]', ?)",
                (_iso(self.now()), username[:40], role, scope, action, what, client[:100]))

    def audit_rows(self, limit: int = 200, username: str | None = None) -> list[dict]:
        """The newest ``limit`` audit records (of ``username``), newest first, each a dict
        of the table's columns with ``ids`` read back as a list (:func:`decode_ids`)."""
        query = "SELECT * FROM audit"
        args: list = []
        if username:
            query += " WHERE username = ?"
            args.append(username)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(int(limit))
        with self._connect() as con:
            rows = [dict(r) for r in con.execute(query, args).fetchall()]
        for row in rows:
            row["ids"] = decode_ids(row["ids"])
        return rows

    def raw(self):
        """A plain connection (tests: prove the audit triggers hold)."""
        con = sqlite3.connect(self.path, isolation_level=None)
        return closing(con)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's list (``zxcvbn.frequency_lists``,
    shipped with the package: the Xato/Burnett corpus), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password, username: str = "") -> str | None:
    """Why ``password`` breaks the password policy, or None (GB/T 22239-2019 8.1.4.1 a:
    complexity; docs/security.md): at least :data:`MIN_PASSWORD` characters, at most 256,
    three of the four character classes (upper case, lower case, digits, other), not
    containing the user name, not a common password (nor one with digits and symbols
    around a common one, ``Password123!``)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return f"password too short: at least {MIN_PASSWORD} characters"
    if len(password) > 256:
        return "password too long: at most 256 characters"
    if not password.strip():
        return "password is only spaces"
    classes = sum((any(c.isupper() for c in password), any(c.islower() for c in password),
                   any(c.isdigit() for c in password),
                   any(not c.isalnum() for c in password)))
    if classes < 3:
        return ("password too simple: use three of upper case, lower case, digits and "
                "symbols")
    if username and username.lower() in password.lower():
        return "password contains the user name"
    lower = password.lower()
    core = lower.strip("0123456789!@#$%^&*()-_=+.,;:?~`'\" []{}<>/|\\")
    common = common_passwords()
    if lower in common or (len(core) >= 4 and core in common):
        return "password is too common (in the list of common passwords)"
    return None


def check_password(password, username: str = "") -> None:
    """Raise :class:`AuthError` when ``password`` breaks the policy (:func:`password_problem`)."""
    problem = password_problem(password, username)
    if problem:
        raise AuthError(problem)


BACKOFF_AFTER = 5  # failed logins of a name before each next try waits 1, 2, 4 … s
LOCK_AFTER = 10  # failed logins of a name that lock it until `gridcmd user unlock`


def backoff_seconds(failures: int) -> int:
    """Seconds a name must wait after its last failure: 0 below :data:`BACKOFF_AFTER`,
    then 1, 2, 4, 8 … (GB/T 22239-2019 8.1.4.1 b, 登录失败处理)."""
    return 0 if failures < BACKOFF_AFTER else 2 ** (failures - BACKOFF_AFTER)


def _name_key(username: str) -> str:
    return str(username).strip().lower()[:40]


def _user(row) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"],
                role=row["role"], region=row["region"], pii_clearance=bool(row["pii_clearance"]),
                disabled=bool(row["disabled"]))
