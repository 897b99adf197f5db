"""The auth layer on the Flask server: session guard, login, kiosk, headers, limits, APIs.

``install(app, settings)`` (called once from the factory) adds:

- a ``before_request`` guard: every route needs a live server-side session except the
  login form, logout, static assets, the health check, kiosk token URLs and
  ``/api/intake/`` (bearer-token auth of its own). Pages without a session redirect to
  ``/login``; XHR, callbacks and data get ``401`` JSON with no data.
- callback authorization: ``/_dash-update-component`` must be a same-origin JSON POST; the
  ids of its outputs name their page (``<page>-<thing>-<kind>``) and the page's allowed roles
  decide (:data:`PAGE_ROLES`, extended per app with :func:`allow_page`); the Dash pages
  router is checked against the requested path. The jurisdiction itself is enforced below
  this, in the scoped queries (``access.user_scope`` / ``access.narrow``).
- security headers on every response, ``no-store`` on authenticated data, ``private`` on
  the geometry layers; generic error bodies without tracebacks.
- rate limits (``limits``, in memory per process): strict on login and kiosk URLs, generous
  per session on callbacks.
- the person-data endpoints (``/api/persons…``) and the admin audit page.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import logging
import re
import secrets
from urllib.parse import urlencode, urlsplit

import orjson
from flask import Flask, Response, g, redirect, request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from dashboard import access, levels, privacy
from dashboard.auth import pages
from dashboard.auth.demo import DEMO_ACCOUNTS, DEMO_MARK, open_auth_store
from dashboard.auth.store import AuthStore, User
from dashboard.kpi.scope import ROLES
from dashboard.sheets import safe_cell

log = logging.getLogger(__name__)

COOKIE = "gridcmd_session"
AREA_COOKIE = "gridcmd_area"  # the area a grid worker with several works in (not a secret)
CSRF_COOKIE = "gridcmd_csrf"
EXTENSION = "gridcmd_auth"
ALL_ROLES = frozenset(ROLES)
# Callback output id prefix (the page) → roles allowed. A page not listed here is open to
# every role but the screen: the screen sees the overview only, and a new page has to opt
# it in explicitly. Jurisdiction is not decided here but in the scoped queries.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "shell": ALL_ROLES,
    "overview": ALL_ROLES,
    "admin": frozenset({"admin"}),
    "quality": frozenset({"leader", "analyst", "admin"}),  # 数据质量
}
# Page paths (GET and the Dash pages router) → roles; unlisted paths: all but the screen.
PATH_ROLES: dict[str, frozenset[str]] = {"/": ALL_ROLES,
                                         "/quality": PAGE_ROLES["quality"]}
ADMIN_PREFIX = "/admin/"
# What a screen session may request at all: the overview page and what it loads.
SCREEN_PATHS = frozenset({"/", "/_dash-layout", "/_dash-dependencies", "/favicon.ico",
                          "/_dash-update-component", "/logout", "/api/persons/counts"})
SCREEN_PREFIXES = ("/geo/", "/points/", "/lang/")  # the overview's layers and language
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/auth/static/")
EXEMPT_PATHS = frozenset({"/login", "/logout", "/_favicon.ico", "/favicon.ico", "/healthz"})
INTAKE_PREFIX = "/api/intake/"
KIOSK_PATH = re.compile(r"/kiosk/[^/]+")
SERVER_NAME = "GridCommand"  # the Server header, instead of the server's name and version
HSTS = "max-age=31536000"
# overview URL parameters a kiosk token URL passes on to the page it opens
KIOSK_PARAMS = ("rotate", "asof", "period", "region", "indicator")
DATA_PREFIXES = ("/_", "/geo/", "/points/", "/api/")  # Dash internals, layers, JSON APIs
ROUTER_IDS = ("_pages_content", "_pages_store")
LOGIN_PER_ADDRESS = "60/minute"
LOCKED_MESSAGE = "账户因多次登录失败已锁定，请联系管理员解锁。"
KIOSK_LIMIT = "10/minute"
_NEXT = re.compile(r"/[A-Za-z0-9/_.\-?=&%]*")


def auth_store(server: Flask) -> AuthStore:
    return server.extensions[EXTENSION]


def allow_page(app, page: str, roles) -> None:
    """Let ``roles`` call the callbacks whose output ids start with ``<page>-``."""
    unknown = set(roles) - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    app.server.config["GRIDCMD_PAGE_ROLES"][page] = frozenset(roles)


def current_user() -> User:
    """The user of the current request's session; :class:`access.Forbidden` if none."""
    from flask import current_app, has_request_context

    if not has_request_context():
        raise access.Forbidden("no request, no user")
    user = g.get("gridcmd_user")
    if user is None:
        store = current_app.extensions.get(EXTENSION)
        user = store.session_user(request.cookies.get(COOKIE)) if store else None
        if user is None:
            raise access.Forbidden("not logged in")
        g.gridcmd_user = user
    return user


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
    limiter = MovingWindowRateLimiter(MemoryStorage())
    login_limits = parse_many(settings.login_rate_limit)
    callback_limits = parse_many(settings.callback_rate_limit)
    address_limits = parse_many(LOGIN_PER_ADDRESS)
    kiosk_limits = parse_many(KIOSK_LIMIT)

    def hit(limits, *key) -> bool:
        return all([limiter.hit(limit, *key) for limit in limits])

    def set_session_cookie(response: Response, sid: str, max_age: int | None = None) -> None:
        response.set_cookie(COOKIE, sid, max_age=max_age, path="/", httponly=True,
                            secure=settings.cookie_secure, samesite="Lax")

    # --- the guard ---------------------------------------------------------------------

    @server.before_request
    def guard():
        path = request.path
        g.gridcmd_user = None
        # Dot segments ("/kiosk/x/../../admin/audit", raw or %2e-encoded) are never a
        # route of ours; a client that sends them unnormalised gets nothing.
        if _dotted(path):
            return _json_error(404, "not found")
        # Request bodies are capped: the intake has its own limit, everything else
        # (callbacks, forms) the small one; Werkzeug enforces it while reading (413).
        intake_path = path.startswith(INTAKE_PREFIX)
        cap = (settings.intake_max_mb * 1024 * 1024 if intake_path
               else settings.request_max_kb * 1024)
        request.max_content_length = cap
        if request.content_length is not None and request.content_length > cap:
            return _json_error(413, "request body too large")
        if request.content_length is None and not intake_path and "chunked" in \
                request.headers.get("Transfer-Encoding", "").lower():
            # browsers send a length; a stream of unknown size is not read at all
            return _json_error(411, "Content-Length required")
        if path in EXEMPT_PATHS or path.startswith(STATIC_PREFIXES) or intake_path \
                or KIOSK_PATH.fullmatch(path):
            return None
        sid = request.cookies.get(COOKIE)
        user = store.session_user(sid, touch=not _automatic(path))
        if user is None:
            return _unauthenticated(path)
        g.gridcmd_user = user
        if request.routing_exception is not None:
            return None  # 404 or 405, answered by Flask without touching any data
        if user.role == "screen" and not (path in SCREEN_PATHS
                                          or path.startswith(SCREEN_PREFIXES)):
            return _forbidden(path, "大屏账户只能查看总览")
        if path.startswith(ADMIN_PREFIX) and user.role != "admin":
            return _forbidden(path, "仅管理员可访问")
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
            return _json_error(403, "cross-origin request refused")
        if path == "/_dash-update-component":
            if request.mimetype != "application/json":
                return _json_error(415, "callbacks take application/json")
            if not hit(callback_limits, "callback", sid):
                return _json_error(429, "too many requests")
            body = _json_body()
            if not isinstance(body, dict) or _envelope_problem(body, app.callback_map):
                return _json_error(400, "malformed callback request")
            if not _callback_allowed(body, user, server.config["GRIDCMD_PAGE_ROLES"]):
                return _json_error(403, "forbidden")
        elif request.method in ("GET", "HEAD") and not path.startswith(DATA_PREFIXES) \
                and not path.startswith(ADMIN_PREFIX) and not _path_allowed(path, user.role):
            return _forbidden(path, "无权访问此页面")
        return None

    # --- headers -----------------------------------------------------------------------

    @server.after_request
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
            h["Content-Security-Policy"] = _csp(app, settings)
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

    @server.errorhandler(access.Forbidden)
    def _on_forbidden(_exc):
        return _json_error(403, "forbidden")

    @server.errorhandler(access.BadCode)
    def _on_bad_code(_exc):
        return _json_error(400, "invalid region code")

    @server.errorhandler(Exception)
    def _on_error(exc):
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            if request.path.startswith(DATA_PREFIXES) or request.method == "POST":
                return _json_error(exc.code or 500, exc.name)
            return exc
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _json_error(500, "internal error")

    # --- login, logout, kiosk ----------------------------------------------------------

    @server.get("/auth/static/auth.css")
    def auth_css():
        resp = Response(pages.CSS, mimetype="text/css")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    @server.get("/favicon.ico")
    def favicon():
        # Browsers ask for it on every page, the login page too; Dash serves it elsewhere.
        return redirect("/_favicon.ico", code=301)

    @server.get("/healthz")
    def healthz():
        return Response(b'{"status":"ok"}', mimetype="application/json")

    def render_login(error: str = "", username: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        present = {u.username for u in store.users()
                   if u.display_name.endswith(DEMO_MARK) and not u.disabled}
        demo = [name for name, *_ in DEMO_ACCOUNTS if name in present]
        body = pages.login_page(token, _safe_next(request.values.get("next")), error,
                                username, demo)
        resp = Response(body, status=status, mimetype="text/html")
        resp.set_cookie(CSRF_COOKIE, token, path="/login", httponly=True,
                        secure=settings.cookie_secure, samesite="Strict")
        return resp

    @server.get("/login")
    def login_form():
        if store.session_user(request.cookies.get(COOKIE)) is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_login()

    @server.post("/login")
    def login_submit():
        username = (request.form.get("username") or "").strip()[:40]
        password = request.form.get("password") or ""
        client = request.remote_addr or "-"
        form_token = request.form.get("csrf_token") or ""
        cookie_token = request.cookies.get(CSRF_COOKIE) or ""
        if not _same_origin() or not cookie_token \
                or not hmac.compare_digest(form_token, cookie_token):
            return render_login("页面已过期，请重新登录。", username, 400)
        # Failed attempts count per address and name (in memory, this process); every
        # attempt per address.
        key = ("login", client, username.lower())
        if not hit(address_limits, "login-addr", client) \
                or not all(limiter.test(limit, *key) for limit in login_limits):
            return render_login("登录尝试过于频繁，请稍后再试。", username, 429)
        # ... and per account name whatever the address, in the accounts database: after
        # BACKOFF_AFTER failures each try waits 1, 2, 4 … s, after LOCK_AFTER the name is
        # locked until an admin unlocks it (`gridcmd user unlock`). A right password does
        # not pass either: the answer must not tell.
        state, wait = store.login_state(username)
        if state == "locked":
            store.audit_event(username, "-", "-", "login_refused", "locked", client)
            return render_login(LOCKED_MESSAGE, username, 423)
        if state == "wait":
            return render_login(f"登录失败次数过多，请 {wait} 秒后再试。", username, 429)
        # Over-long passwords are refused before hashing (argon2 on megabytes is a DoS).
        user = store.authenticate(username, password) if len(password) <= 256 else None
        if user is None:
            hit(login_limits, *key)
            failures, locked = store.login_failed(username)
            store.audit_event(username, "-", "-", "login_failed",
                              f"failure {failures}" + (", locked" if locked else ""), client)
            if locked:
                return render_login(LOCKED_MESSAGE, username, 423)
            return render_login("用户名或密码错误，或账户已停用。", username, 401)
        store.login_succeeded(username)
        store.end_session(request.cookies.get(COOKIE))
        sid = store.create_session(user)
        store.audit(user, user.scope, "login", "password", [], client)
        target = "/" if user.role == "screen" else _safe_next(request.form.get("next"))
        resp = redirect(target, code=303)
        set_session_cookie(resp, sid)
        resp.delete_cookie(CSRF_COOKIE, path="/login")
        return resp

    @server.get("/logout")
    def logout_form():
        return Response(pages.logout_page(), mimetype="text/html")

    @server.post("/logout")
    def logout():
        if not _same_origin():
            return _json_error(403, "cross-origin request refused")
        store.end_session(request.cookies.get(COOKIE))
        resp = redirect("/login", code=303)
        resp.delete_cookie(COOKIE, path="/")
        resp.delete_cookie(AREA_COOKIE, path="/")
        return resp

    @server.get("/area/<code>")
    def choose_area(code: str):
        """Work in another of the account's own areas (a grid worker with several)."""
        user = current_user()
        if code not in user.areas:
            return _forbidden(request.path, "不是本账户的网格")
        resp = redirect("/", code=303)
        resp.set_cookie(AREA_COOKIE, code, path="/", httponly=True,
                        secure=settings.cookie_secure, samesite="Lax")
        return resp

    @server.get("/kiosk/<token>")
    def kiosk(token: str):
        client = request.remote_addr or "-"
        if not hit(kiosk_limits, "kiosk", client):
            return Response(pages.message_page("请求过于频繁", "请稍后再试。"), status=429,
                            mimetype="text/html")
        found = store.token_user(token)
        if found is None:
            return Response(pages.message_page("大屏令牌无效", "令牌无效或已被吊销。"),
                            status=403, mimetype="text/html")
        user, token_id = found
        sid = store.create_session(user, kind="kiosk", token_id=token_id)
        store.audit(user, user.scope, "login", "kiosk token", [], client)
        # A kiosk URL is what a wall screen opens: the overview in kiosk mode (themes
        # rotate, new critical alerts take over; docs/overview.md). The overview's own
        # parameters given to the kiosk URL (…/kiosk/<token>?asof=2016-06-30&period=month)
        # go along; the page checks them like any URL.
        extra = [(k, request.args[k][:64]) for k in KIOSK_PARAMS if request.args.get(k)]
        resp = redirect("/?" + urlencode([("kiosk", "1"), *extra]), code=303)
        set_session_cookie(resp, sid, max_age=settings.kiosk_days * 86400)
        return resp

    # --- person data -------------------------------------------------------------------

    def scoped(region_arg: str | None):
        # the region as any code dashboard.levels.resolve takes (a source code too),
        # resolved first and then narrowed on internal codes
        user = current_user()
        return user, levels.narrow(duck(), access.user_scope(), region_arg)

    def auditor(user: User, scope):
        client = request.remote_addr or "-"

        def audit(action, what, ids):
            store.audit(user, scope, action, what, ids, client)
        return audit

    def duck():
        return server.extensions["gridcmd_store"].cursor()

    def cleared_only(user: User, scope, what: str) -> None:
        """Person lists follow the 重点人群 page: only for users with clearance; a refusal
        is audited too (who tried to read whom)."""
        if not user.pii_clearance:
            store.audit(user, scope, "denied", what, [], request.remote_addr or "-")
            raise access.Forbidden("person lists need personal-data clearance")

    @server.get("/api/persons")
    def persons_list():
        user, scope = scoped(request.args.get("region"))
        _no_screen(user)
        cleared_only(user, scope, f"persons {scope.region}")
        limit = _int_arg("limit", 100)
        rows = privacy.list_persons(duck(), scope, auditor(user, scope), limit=limit)
        return _json({"region": scope.region, "persons": rows})

    @server.get("/api/persons/<int:person_id>")
    def person_detail(person_id: int):
        user, scope = scoped(None)
        _no_screen(user)
        cleared_only(user, scope, f"person {person_id}")
        want_clear = request.args.get("clear") in ("1", "true")
        row = privacy.person_detail(duck(), scope, person_id, auditor(user, scope),
                                    want_clear=want_clear, cleared=user.pii_clearance)
        if row is None:
            return _json_error(404, "not found")
        return _json({"person": row})

    @server.get("/api/persons/export.csv")
    def persons_export():
        user, scope = scoped(request.args.get("region"))
        _no_screen(user)
        cleared_only(user, scope, f"persons {scope.region} csv")
        rows = privacy.export_persons(duck(), scope, auditor(user, scope))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(privacy.EXPORT_COLUMNS))
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in rows)
        resp = Response("\ufeff" + buf.getvalue(), mimetype="text/csv")
        resp.headers["Content-Disposition"] = f"attachment; filename=persons_{scope.region}.csv"
        return resp

    @server.get("/api/persons/counts")
    def persons_counts():
        user, scope = scoped(request.args.get("region"))
        level = request.args.get("by", "village")
        if level not in ("county", "town", "village", "grid"):
            return _json_error(400, "by: county, town, village or grid")
        try:
            if user.pii_clearance:
                rows = privacy.category_counts(duck(), scope, level, True)
            else:
                # from the jurisdiction's protected table: the same pattern at every level
                con = duck()
                rows = privacy.published_counts(con, access.user_scope().prefix, scope,
                                                level, privacy.listed_until(con))
        except ValueError:
            return _json_error(400, "level is not below the region")
        return _json({"region": scope.region, "by": level, "counts": rows})

    @server.get("/admin/audit")
    def admin_audit():
        user = current_user()
        if user.role != "admin":
            raise access.Forbidden("admin only")
        who = (request.args.get("user") or "").strip()[:40]
        rows = store.audit_rows(limit=_int_arg("limit", 200), username=who or None)
        return Response(pages.audit_page(rows, who), mimetype="text/html")

    return store


# --- helpers ---------------------------------------------------------------------------


def _json(payload, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status=status, mimetype="application/json")


def _json_error(status: int, message: str) -> Response:
    return _json({"error": message, "status": status}, status)


def _json_body():
    """The request's JSON body, or None when it is none, malformed or nested too deeply
    (Python's decoder raises RecursionError there, which ``silent`` does not catch)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _automatic(path: str) -> bool:
    """Whether a request is an automatic refresh (a callback fired only by a
    ``dcc.Interval``): it does not count as activity for the idle timeout."""
    if path != "/_dash-update-component" or request.mimetype != "application/json":
        return False
    if (request.content_length or 0) > 64 * 1024:
        return False
    body = _json_body()
    changed = body.get("changedPropIds") if isinstance(body, dict) else None
    return bool(changed) and isinstance(changed, list) and all(
        isinstance(c, str) and c.endswith(".n_intervals") for c in changed)


def _dotted(path: str) -> bool:
    """Whether a path holds a ``.`` or ``..`` segment (or a backslash) anywhere."""
    return "\\" in path or any(seg in (".", "..") for seg in path.split("/"))


def _wants_html(path: str) -> bool:
    if path.startswith(DATA_PREFIXES) or request.method != "GET":
        return False
    return "text/html" in (request.headers.get("Accept") or "text/html")


def _unauthenticated(path: str) -> Response:
    if _wants_html(path):
        target = path + (f"?{request.query_string.decode('latin-1')}"
                         if request.query_string else "")
        return redirect(f"/login?next={_quote(_safe_next(target))}")
    return _json_error(401, "login required")


def _forbidden(path: str, message: str) -> Response:
    if _wants_html(path):
        return Response(pages.message_page("无权访问", message), status=403,
                        mimetype="text/html")
    return _json_error(403, "forbidden")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def _safe_next(value: str | None) -> str:
    """A local path to return to after login; anything else (``//host``, ``\\``) is ``/``."""
    if not value or not _NEXT.fullmatch(value) or value.startswith("//") \
            or value.startswith(("/login", "/logout", "/kiosk/")):
        return "/"
    return value


def _same_origin() -> bool:
    """Origin (or, without it, Referer) names this host. Browsers send Origin on every
    POST; a non-browser client has no cookie to abuse but must still say who it is.

    Host and port are compared, not the scheme: behind a TLS-terminating proxy the app sees
    ``http`` while the browser says ``https``, and a cross-site page differs in host anyway.
    """
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def _int_arg(name: str, default: int) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), 1000))
    except (TypeError, ValueError):
        return default


def _no_screen(user: User) -> None:
    if user.role == "screen":
        raise access.Forbidden("screens see aggregates only")


def _output_ids(output) -> list[str] | None:
    """Component ids named by a callback request's ``output`` field, or None if unreadable."""
    if not isinstance(output, str) or not output:
        return None
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    ids = []
    for part in parts:
        ident = part.rsplit(".", 1)[0] if "." in part else part
        if ident.startswith("{"):
            try:
                ident = json.loads(ident).get("type", "")
            except (ValueError, AttributeError):
                return None
            if not isinstance(ident, str):
                return None
        ids.append(ident)
    return ids


def path_allowed(path: str, role: str) -> bool:
    """Whether ``role`` may open the page at ``path`` (the nav shows only those)."""
    return _path_allowed(path, role)


def _envelope_problem(body: dict, callback_map: dict) -> str | None:
    """What is wrong with the frame of a callback request, or None.

    Dash trusts it: an unknown output, inputs that are not a list of ``{id, property,
    value}`` (or lists of them, for pattern-matching ids) or fewer of them than the
    callback takes end in a 500 inside Dash. The values themselves are checked by the
    callback (``callbacks.common.guarded``)."""
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "unknown output"
    spec = callback_map[output]
    for field in ("inputs", "state"):
        items = body.get(field, [])
        if not isinstance(items, list) or len(items) != len(spec.get(field, [])):
            return f"{field}: expected {len(spec.get(field, []))} entries"
        for item in items:
            entries = item if isinstance(item, list) else [item]
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("property"), str) \
                        or not isinstance(entry.get("id"), str | dict):
                    return f"{field}: malformed entry"
    if any(r in output for r in ROUTER_IDS):
        # Dash's own pages router takes the location's pathname and search as text
        inputs = [i for i in body.get("inputs", []) if isinstance(i, dict)]
        if not all(i.get("value") is None or isinstance(i.get("value"), str) for i in inputs):
            return "router: pathname and search are text"
        if any(i.get("property") == "pathname" and isinstance(i.get("value"), str)
               and not i["value"].startswith("/") for i in inputs):
            return "router: a pathname starts with /"
    outputs = body.get("outputs")
    if not isinstance(outputs, dict | list):
        return "outputs: expected an object or a list"
    for item in outputs if isinstance(outputs, list) else [outputs]:
        for entry in item if isinstance(item, list) else [item]:
            if not isinstance(entry, dict) or not isinstance(entry.get("property"), str) \
                    or not isinstance(entry.get("id"), str | dict):
                return "outputs: malformed entry"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds: expected a list of strings"
    for c in changed:
        ident = c.rsplit(".", 1)[0]
        if ident.startswith("{"):
            try:
                if not isinstance(json.loads(ident), dict):
                    return "changedPropIds: malformed id"
            except ValueError:
                return "changedPropIds: malformed id"
    return None


def _path_allowed(path: str, role: str) -> bool:
    if path.startswith(ADMIN_PREFIX):
        return role == "admin"
    return role in PATH_ROLES.get(path, ALL_ROLES - {"screen"})


def _callback_allowed(body: dict, user: User, page_roles: dict) -> bool:
    ids = _output_ids(body.get("output"))
    if not ids:
        return False
    for ident in ids:
        if ident in ROUTER_IDS:
            pathname = next((i.get("value") for i in body.get("inputs") or []
                             if isinstance(i, dict) and i.get("id") == "_pages_location"
                             and i.get("property") == "pathname"), None)
            if not isinstance(pathname, str) or not _path_allowed(pathname, user.role):
                return False
            continue
        page = ident.split("-", 1)[0]
        if user.role not in page_roles.get(page, ALL_ROLES - {"screen"}):
            return False
    return True


def _csp(app, settings) -> str:
    """The Content-Security-Policy of HTML pages: no inline script but Dash's own (hashed),
    no eval unless debugging, nothing from other hosts but an optional tile server."""
    scripts = ["'self'", *app.csp_hashes()]
    if settings.debug:
        scripts.append("'unsafe-eval'")
    images = ["'self'", "data:", "blob:"]
    if settings.tile_url:
        parts = urlsplit(settings.tile_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            images.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join([
        "default-src 'self'",
        f"script-src {' '.join(scripts)}",
        # Plotly and Leaflet write <style> elements at run time.
        "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(images)}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])
