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
"""

from __future__ import annotations

import logging

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
from dashboard.auth.store import AuthStore
from dashboard.errors import BadCode, Forbidden
from dashboard.http import json_body, json_error

log = logging.getLogger(__name__)


def blueprint(app, settings, store: AuthStore, hit, callback_limits) -> Blueprint:
    """The guard of the Dash ``app`` (its callback map, its CSP hashes): ``hit(limits,
    *key)`` counts a request against ``callback_limits``."""
    bp = Blueprint("guard", __name__)
    server = app.server

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
        if path in EXEMPT_PATHS or path.startswith(STATIC_PREFIXES) or intake_path \
                or KIOSK_RE.fullmatch(path):
            return None
        sid = request.cookies.get(COOKIE)
        user = store.session_user(sid, touch=not automatic(path))
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
            if not hit(callback_limits, "callback", sid):
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
        h = response.headers
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        # Werkzeug's server writes "Werkzeug/x Python/y" only when the app sent no Server
        # header (gunicorn: set gunicorn.SERVER in its config, docs/security.md).
        h["Server"] = SERVER_NAME
        if settings.cookie_secure:
            h["Strict-Transport-Security"] = HSTS
        if response.mimetype == "text/html":
            h["Content-Security-Policy"] = csp(app, settings)
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
