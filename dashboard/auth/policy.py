"""The auth layer's rules and request helpers, shared by its blueprints.

The cookies, which paths need which role (:data:`PAGE_ROLES`, :data:`PATH_ROLES`, the
screen's few paths), the user of the request (:func:`current_user`), and the checks the
guard makes on a request: same origin, dot segments, the frame of a callback request, the
Content-Security-Policy. No routes here: :mod:`dashboard.auth.guard` (app-wide hooks) and
:mod:`dashboard.auth.session` (login, logout, kiosk) register them, and
:mod:`dashboard.persons` serves the person data and the audit log.

It imports neither :mod:`dashboard.access` nor any data module: the refusals it raises
come from :mod:`dashboard.errors`, so ``access → auth`` is the only direction.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

from flask import Flask, Response, g, redirect, request

from dashboard.auth import pages
from dashboard.auth.store import AuthStore, User
from dashboard.errors import Forbidden
from dashboard.http import json_body, json_error
from dashboard.kpi.scope import ROLES

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
KIOSK_RE = re.compile(r"/kiosk/[^/]+")
SERVER_NAME = "GridCommand"  # the Server header, instead of the server's name and version
HSTS = "max-age=31536000"
# overview URL parameters a kiosk token URL passes on to the page it opens
KIOSK_PARAMS = ("rotate", "asof", "period", "region", "indicator", "play")
DATA_PREFIXES = ("/_", "/geo/", "/points/", "/api/")  # Dash internals, layers, JSON APIs
ROUTER_IDS = ("_pages_content", "_pages_store")
LOGIN_PER_ADDRESS = "60/minute"
LOCKED_MESSAGE = "账户因多次登录失败已锁定，请联系管理员解锁。"
KIOSK_LIMIT = "10/minute"
_NEXT = re.compile(r"/[A-Za-z0-9/_.\-?=&%]*")


def auth_store(server: Flask) -> AuthStore:
    """The accounts database of the app ``server`` (set by ``dashboard.auth.install``)."""
    return server.extensions[EXTENSION]


def allow_page(app, page: str, roles) -> None:
    """Let ``roles`` call the callbacks whose output ids start with ``<page>-``."""
    unknown = set(roles) - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    app.server.config["GRIDCMD_PAGE_ROLES"][page] = frozenset(roles)


def current_user() -> User:
    """The user of the current request's session; :class:`~dashboard.errors.Forbidden`
    if none."""
    from flask import current_app, has_request_context

    if not has_request_context():
        raise Forbidden("no request, no user")
    user = g.get("gridcmd_user")
    if user is None:
        store = current_app.extensions.get(EXTENSION)
        user = store.session_user(request.cookies.get(COOKIE)) if store else None
        if user is None:
            raise Forbidden("not logged in")
        g.gridcmd_user = user
    return user


def automatic(path: str) -> bool:
    """Whether a request is an automatic refresh (a callback fired only by a
    ``dcc.Interval``): it does not count as activity for the idle timeout."""
    if path != "/_dash-update-component" or request.mimetype != "application/json":
        return False
    if (request.content_length or 0) > 64 * 1024:
        return False
    body = json_body()
    changed = body.get("changedPropIds") if isinstance(body, dict) else None
    return bool(changed) and isinstance(changed, list) and all(
        isinstance(c, str) and c.endswith(".n_intervals") for c in changed)


def dotted(path: str) -> bool:
    """Whether a path holds a ``.`` or ``..`` segment (or a backslash) anywhere."""
    return "\\" in path or any(seg in (".", "..") for seg in path.split("/"))


def wants_html(path: str) -> bool:
    if path.startswith(DATA_PREFIXES) or request.method != "GET":
        return False
    return "text/html" in (request.headers.get("Accept") or "text/html")


def unauthenticated(path: str) -> Response:
    if wants_html(path):
        target = path + (f"?{request.query_string.decode('latin-1')}"
                         if request.query_string else "")
        return redirect(f"/login?next={quote(safe_next(target), safe='/')}")
    return json_error(401, "login required")


def forbidden(path: str, message: str) -> Response:
    if wants_html(path):
        return Response(pages.message_page("无权访问", message), status=403,
                        mimetype="text/html")
    return json_error(403, "forbidden")


def safe_next(value: str | None) -> str:
    """A local path to return to after login; anything else (``//host``, ``\\``) is ``/``."""
    if not value or not _NEXT.fullmatch(value) or value.startswith("//") \
            or value.startswith(("/login", "/logout", "/kiosk/")):
        return "/"
    return value


def same_origin() -> bool:
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



def output_ids(output) -> list[str] | None:
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


def envelope_problem(body: dict, callback_map: dict) -> str | None:
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


def path_allowed(path: str, role: str) -> bool:
    """Whether ``role`` may open the page at ``path`` (the nav shows only those)."""
    if path.startswith(ADMIN_PREFIX):
        return role == "admin"
    return role in PATH_ROLES.get(path, ALL_ROLES - {"screen"})


def callback_allowed(body: dict, user: User, page_roles: dict) -> bool:
    ids = output_ids(body.get("output"))
    if not ids:
        return False
    for ident in ids:
        if ident in ROUTER_IDS:
            pathname = next((i.get("value") for i in body.get("inputs") or []
                             if isinstance(i, dict) and i.get("id") == "_pages_location"
                             and i.get("property") == "pathname"), None)
            if not isinstance(pathname, str) or not path_allowed(pathname, user.role):
                return False
            continue
        page = ident.split("-", 1)[0]
        if user.role not in page_roles.get(page, ALL_ROLES - {"screen"}):
            return False
    return True


def csp(app, settings) -> str:
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

