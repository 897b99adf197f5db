"""The ``guard`` blueprint: what the auth layer does on every request of the app.

- a ``before_app_request`` guard: every route needs a live server-side session except the
  login form, logout, static assets, the health check, kiosk token URLs and
  ``/api/intake/`` (bearer-token auth of its own). Pages without a session redirect to
  ``/login``; XHR, callbacks and data get ``401`` JSON with no data.
- callback authorization: ``/_dash-update-component`` must be a same-origin JSON POST; the
  ids of its outputs name their page (``<page>-<thing>-<kind>``) and the page's allowed roles
  decide (:data:`~dashboard.auth.policy.PAGE_ROLES`, extended per app with
  :func:`~dashboard.auth.policy.allow_page`); the Dash pages router is checked against the
  requested path. The jurisdiction itself is enforced below this, in the scoped queries
  (``access.user_scope`` / ``access.narrow``).
- security headers on every response, ``no-store`` on authenticated data, ``private`` on
  the geometry layers; generic error bodies (:mod:`dashboard.http`) without tracebacks.
- a rate limit per session on callbacks (the login limits are the session blueprint's).
- a replayed callback (``dashboard/rewarm.py``) brings its user in a WSGI environ key that
  no client can set; it is not rate-limited and not activity, and its roles are checked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from dash.exceptions import CallbackException
from flask import Blueprint, Response, g, request

from dashboard.auth.policy import (
    ADMIN_PREFIX,
    COOKIE,
    DATA_PREFIXES,
    EXEMPT_PATHS,
    HSTS,
    INTAKE_PREFIX,
    KIOSK_RE,
    SCREEN_PATHS,
    SCREEN_PREFIXES,
    SERVER_NAME,
    STATIC_PREFIXES,
    automatic,
    callback_allowed,
    csp,
    dotted,
    envelope_problem,
    forbidden,
    path_allowed,
    same_origin,
    unauthenticated,
)
from dashboard.auth.store import AuthStore, digest
from dashboard.errors import BadCode, Forbidden
from dashboard.http import json_body, json_error
from dashboard.rewarm import REPLAY_USER
from dashboard.urls import LOGIN_PATH, LOGOUT_PATH, MYGRID_OFFLINE_PATH, MYGRID_PATH, MYGRID_SW_PATH

log = logging.getLogger(__name__)

SESSION_ENDS = frozenset({LOGIN_PATH, LOGOUT_PATH})
"""POSTs that end the session of their cookie (``auth/session.py``: a login ends the
session it replaces, a logout its own)."""


SESSION_TTL = 2.0
"""Seconds a checked session is trusted in this process without asking the accounts
database again (:class:`SessionCache`)."""


class SessionCache:
    """The sessions this process checked in the last :data:`SESSION_TTL` seconds.

    A session check reads the accounts database (SQLite) twice; a drill step fires three
    callbacks at once, a wall polls. A live session found there is kept here, under the
    SHA-256 of its id (never the id itself), with the user it belongs to, and answers the
    same session's requests for ``ttl`` seconds, on the monotonic clock and on the accounts
    store's clock both (a test that moves the store's clock moves past it at once).

    Revocations are never served stale: every change that ends a session or changes an
    account (logout, login replacing a session, ``gridcmd user disable|passwd|pii``, a
    kiosk token revoked), in any process, moves ``AuthStore.revocations()`` (a file stamp,
    one ``stat``), and an entry holds only while the stamp it was checked under stands.
    What may be late by at most ``ttl`` seconds is the clock: the idle and absolute
    timeouts, and the idle timer's refresh (a check that counts as activity, ``touch``,
    is never answered from one that did not).
    """

    def __init__(self, store: AuthStore, ttl: float = SESSION_TTL, size: int = 4096):
        self.store, self.ttl, self.size = store, ttl, size
        self._data: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def user(self, sid: str | None, touch: bool):
        """The session's user (``AuthStore.session_user``), from this cache when fresh."""
        if not sid or not isinstance(sid, str) or len(sid) > 200 or self.ttl <= 0:
            return self.store.session_user(sid, touch=touch)
        key = digest(sid)
        now = time.monotonic()
        stamp = self.store.revocations()  # before the check: a change during it shows
        with self._lock:
            got = self._data.get(key)
        if got is not None:
            user, at, clock, touched, seen = got
            age = (self.store.now() - clock).total_seconds()
            if seen == stamp and now - at < self.ttl and 0 <= age < self.ttl \
                    and (touched or not touch):
                return user
        user = self.store.session_user(sid, touch=touch)
        with self._lock:
            if user is None:
                self._data.pop(key, None)
            else:
                self._data[key] = (user, now, self.store.now(), touch, stamp)
                self._data.move_to_end(key)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        return user

    def forget(self, sid: str | None) -> None:
        """Drop a session (logout, or a login replacing it); the stamp moves as well."""
        if sid and isinstance(sid, str):
            with self._lock:
                self._data.pop(digest(sid), None)


def blueprint(app, settings, store: AuthStore, hit, callback_limits) -> Blueprint:
    """The guard of the Dash ``app`` (its callback map, its CSP hashes): ``hit(limits,
    *key)`` counts a request against ``callback_limits``."""
    bp = Blueprint("guard", __name__)
    server = app.server
    sessions = SessionCache(store)
    server.extensions["gridcmd_sessions"] = sessions

    @bp.before_app_request
    def guard():
        path = request.path
        g.gridcmd_user = None
        # Dot segments ("/kiosk/x/../../admin/audit", raw or %2e-encoded) are never a
        # route of ours; a client that sends them unnormalised gets nothing.
        if dotted(path):
            return json_error(404, "not found")
        # Request bodies are capped: the intake has its own limit, everything else
        # (callbacks, forms) the small one; Werkzeug enforces it while reading (413).
        intake_path = path.startswith(INTAKE_PREFIX)
        cap = (settings.intake_max_mb * 1024 * 1024 if intake_path
               else settings.request_max_kb * 1024)
        request.max_content_length = cap
        if request.content_length is not None and request.content_length > cap:
            return json_error(413, "request body too large")
        if request.content_length is None and not intake_path and "chunked" in \
                request.headers.get("Transfer-Encoding", "").lower():
            # browsers send a length; a stream of unknown size is not read at all
            return json_error(411, "Content-Length required")
        if path in SESSION_ENDS and request.method == "POST":
            # the route ends the cookie's session: not trusted from the cache from now on
            sessions.forget(request.cookies.get(COOKIE))
        if path in EXEMPT_PATHS or path.startswith(STATIC_PREFIXES) or intake_path \
                or KIOSK_RE.fullmatch(path):
            return None
        sid = request.cookies.get(COOKIE)
        # an in-process replay of a recent request (dashboard/rewarm.py) brings its user
        # in an environ key no HTTP client can set; it is not the user's activity
        replayed = request.environ.get(REPLAY_USER)
        user = replayed if replayed is not None \
            else sessions.user(sid, touch=not automatic(path))
        if user is None:
            return unauthenticated(path)
        g.gridcmd_user = user
        if request.routing_exception is not None:
            return None  # 404 or 405, answered by Flask without touching any data
        if user.role == "screen" and not (path in SCREEN_PATHS
                                          or path.startswith(SCREEN_PREFIXES)):
            return forbidden(path, "大屏账户只能查看总览")
        if path.startswith(ADMIN_PREFIX) and user.role != "admin":
            return forbidden(path, "仅管理员可访问")
        if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin():
            return json_error(403, "cross-origin request refused")
        if path == "/_dash-update-component":
            if request.mimetype != "application/json":
                return json_error(415, "callbacks take application/json")
            if replayed is None and not hit(callback_limits, "callback", sid):
                return json_error(429, "too many requests")
            body = json_body()
            if not isinstance(body, dict) or envelope_problem(body, app.callback_map):
                return json_error(400, "malformed callback request")
            if not callback_allowed(body, user, server.config["GRIDCMD_PAGE_ROLES"]):
                return json_error(403, "forbidden")
        elif request.method in ("GET", "HEAD") and not path.startswith(DATA_PREFIXES) \
                and not path.startswith(ADMIN_PREFIX) and not path_allowed(path, user.role):
            return forbidden(path, "无权访问此页面")
        return None

    # --- headers -----------------------------------------------------------------------

    @bp.after_app_request
    def harden(response: Response) -> Response:
        path = request.path
        if path in SESSION_ENDS and request.method == "POST":
            # again after the route: a request of the same session checked in between
            # must not keep it cached
            sessions.forget(request.cookies.get(COOKIE))
        h = response.headers
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        # 我的网格's quick report may ask for the device's position (docs/mygrid.md)
        where = "(self)" if path in (MYGRID_PATH, MYGRID_OFFLINE_PATH) else "()"
        h["Permissions-Policy"] = f"camera=(), microphone=(), geolocation={where}, payment=()"
        # Werkzeug's server writes "Werkzeug/x Python/y" only when the app sent no Server
        # header (gunicorn: set gunicorn.SERVER in its config, docs/security.md).
        h["Server"] = SERVER_NAME
        if settings.cookie_secure:
            h["Strict-Transport-Security"] = HSTS
        if response.mimetype == "text/html":
            h["Content-Security-Policy"] = csp(app, settings)
        elif path == MYGRID_SW_PATH:  # a worker's own policy: it fetches the page's files
            h["Content-Security-Policy"] = ("default-src 'none'; connect-src 'self'; "
                                            "frame-ancestors 'none'")
        else:
            h["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        if path.startswith(STATIC_PREFIXES) or path == "/_favicon.ico":
            return response
        # Everything below is behind the session: never in a shared cache. A route may
        # let the user's own browser keep a response (the geometry layers); "public"
        # becomes "private", and no choice at all means no-store.
        cache = h.get("Cache-Control", "")
        if "public" in cache or "private" in cache:
            h["Cache-Control"] = cache.replace("public", "private")
            h.add("Vary", "Cookie")
        else:
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        return response

    # --- errors: a status and a generic message, never a traceback ---------------------

    @bp.app_errorhandler(Forbidden)
    def _on_forbidden(_exc):
        return json_error(403, "forbidden")

    @bp.app_errorhandler(BadCode)
    def _on_bad_code(_exc):
        return json_error(400, "invalid region code")

    @bp.app_errorhandler(Exception)
    def _on_error(exc):
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            if request.path.startswith(DATA_PREFIXES) or request.method == "POST":
                return json_error(exc.code or 500, exc.name)
            return exc
        if type(exc) is CallbackException:
            # Dash's own check of a callback request against the callback's definition
            # (outputs, inputs or state that do not match): the client's mistake. Its
            # subclasses (a callback returning the wrong shape) stay server errors.
            return json_error(400, "malformed callback request")
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal error")

    return bp
