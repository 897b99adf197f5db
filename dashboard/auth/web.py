"""The auth layer on the Flask server: ``install(app, settings)``.

Called once from the factory, it opens the accounts database, sets the session cookie
policy and registers the auth layer's two blueprints on the app's server:

- ``guard`` (:mod:`dashboard.auth.guard`): the session guard, callback authorization,
  security headers, generic error bodies and the callback rate limit, on every request;
- ``session`` (:mod:`dashboard.auth.session`): login, logout, kiosk token URLs, the area
  switch of a worker with several areas, the health check.

The rules both use (cookies, roles per page and path, request checks) are
:mod:`dashboard.auth.policy`'s. The person data and the audit log are served by
:mod:`dashboard.persons`, a blueprint of its own above both the auth and the data layer.
"""

from __future__ import annotations

import secrets
import time

from flask import Flask
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from dashboard.auth import guard, session
from dashboard.auth.demo import open_auth_store
from dashboard.auth.policy import EXTENSION, PAGE_ROLES
from dashboard.auth.ratelimit import SqliteStorage
from dashboard.auth.store import AuthStore


class _MemoryStorage(MemoryStorage):
    """``limits``' memory storage without a thread per hit: the library starts a 10 ms
    ``threading.Timer`` to drop expired entries whenever the last one has ended, that is on
    nearly every callback (several ms each on a busy machine). Here expired entries are
    dropped inline, at most once a second; the moving window itself reads the entries'
    times, so what counts is unchanged."""

    _swept = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # the name-mangled hook
        now = time.monotonic()
        if now - self._swept >= 1.0:
            self._swept = now
            self._MemoryStorage__expire_events()


def install(app, settings) -> AuthStore:
    """Add the auth layer to the Dash ``app`` (see the module docstring)."""
    server: Flask = app.server
    store = open_auth_store(settings)
    server.extensions[EXTENSION] = store
    server.config["GRIDCMD_PAGE_ROLES"] = dict(PAGE_ROLES)
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SECURE"] = settings.cookie_secure
    server.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    server.config["PROPAGATE_EXCEPTIONS"] = False
    server.debug = bool(settings.debug)
    # rate limits (``limits``): strict on login and kiosk URLs, generous per session on
    # callbacks. With several workers they are counted in the accounts database, so every
    # worker process of this app (built once, then forked by gunicorn) shares them
    # (dashboard/auth/ratelimit.py); one process counts in memory, which is as correct
    # there and spares every callback a SQLite write (about 2 ms, p95 about 30 ms)
    limiter = MovingWindowRateLimiter(
        SqliteStorage(store.path, namespace=secrets.token_hex(8)) if settings.workers > 1
        else _MemoryStorage())

    def hit(limits, *key) -> bool:
        return all([limiter.hit(limit, *key) for limit in limits])

    server.register_blueprint(guard.blueprint(app, settings, store, hit,
                                              parse_many(settings.callback_rate_limit)))
    server.register_blueprint(session.blueprint(settings, store, limiter, hit))
    return store
