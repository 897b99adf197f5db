"""The ``session`` blueprint: the pages of the auth layer.

The login form and its POST (CSRF token, rate limits per address and name, back-off and
lock per account in the accounts database), logout, the kiosk token URLs of wall screens,
``/area/<code>`` for a grid worker with several areas, the health check, the favicon and
the login page's stylesheet. The URLs are :mod:`dashboard.urls`'.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request
from limits import parse_many

from dashboard.auth import pages
from dashboard.auth.demo import DEMO_ACCOUNTS, DEMO_MARK
from dashboard.auth.policy import (
    AREA_COOKIE,
    COOKIE,
    CSRF_COOKIE,
    KIOSK_LIMIT,
    KIOSK_PARAMS,
    LOCKED_MESSAGE,
    LOGIN_PER_ADDRESS,
    current_user,
    forbidden,
    safe_next,
    same_origin,
)
from dashboard.auth.store import AuthStore
from dashboard.http import json_error
from dashboard.urls import (
    AREA_PATH,
    AUTH_CSS_PATH,
    HEALTH_PATH,
    HOME,
    KIOSK_PATH,
    LOGIN_PATH,
    LOGOUT_PATH,
    MYGRID_PATH,
)


def blueprint(settings, store: AuthStore, limiter, hit) -> Blueprint:
    """Login, logout and kiosk pages; ``limiter`` and ``hit`` are the app's rate limiter
    (shared with the guard) and its counting function."""
    bp = Blueprint("session", __name__)
    login_limits = parse_many(settings.login_rate_limit)
    address_limits = parse_many(LOGIN_PER_ADDRESS)
    kiosk_limits = parse_many(KIOSK_LIMIT)

    def set_session_cookie(response: Response, sid: str, max_age: int | None = None) -> None:
        response.set_cookie(COOKIE, sid, max_age=max_age, path="/", httponly=True,
                            secure=settings.cookie_secure, samesite="Lax")

    @bp.get(AUTH_CSS_PATH)
    def auth_css():
        resp = Response(pages.CSS, mimetype="text/css")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    @bp.get("/favicon.ico")
    def favicon():
        # Browsers ask for it on every page, the login page too; Dash serves it elsewhere.
        return redirect("/_favicon.ico", code=301)

    @bp.get(HEALTH_PATH)
    def healthz():
        return Response(b'{"status":"ok"}', mimetype="application/json")

    def render_login(error: str = "", username: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        present = {u.username for u in store.users()
                   if u.display_name.endswith(DEMO_MARK) and not u.disabled}
        demo = [name for name, *_ in DEMO_ACCOUNTS if name in present]
        body = pages.login_page(token, safe_next(request.values.get("next")), error,
                                username, demo)
        resp = Response(body, status=status, mimetype="text/html")
        resp.set_cookie(CSRF_COOKIE, token, path="/login", httponly=True,
                        secure=settings.cookie_secure, samesite="Strict")
        return resp

    @bp.get(LOGIN_PATH)
    def login_form():
        if store.session_user(request.cookies.get(COOKIE)) is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_login()

    @bp.post(LOGIN_PATH)
    def login_submit():
        username = (request.form.get("username") or "").strip()[:40]
        password = request.form.get("password") or ""
        client = request.remote_addr or "-"
        form_token = request.form.get("csrf_token") or ""
        cookie_token = request.cookies.get(CSRF_COOKIE) or ""
        if not same_origin() or not cookie_token \
                or not hmac.compare_digest(form_token, cookie_token):
            return render_login("页面已过期，请重新登录。", username, 400)
        # Failed attempts count per address and name; every attempt per address (in the
        # accounts database: every worker of this server counts into the same window).
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
        target = "/" if user.role == "screen" else safe_next(request.form.get("next"))
        if user.role == "grid_worker" and target == HOME:
            target = MYGRID_PATH  # a grid worker lands on 我的网格 (docs/mygrid.md)
        resp = redirect(target, code=303)
        set_session_cookie(resp, sid)
        resp.delete_cookie(CSRF_COOKIE, path="/login")
        return resp

    @bp.get(LOGOUT_PATH)
    def logout_form():
        return Response(pages.logout_page(), mimetype="text/html")

    @bp.post(LOGOUT_PATH)
    def logout():
        if not same_origin():
            return json_error(403, "cross-origin request refused")
        store.end_session(request.cookies.get(COOKIE))
        resp = redirect("/login", code=303)
        resp.delete_cookie(COOKIE, path="/")
        resp.delete_cookie(AREA_COOKIE, path="/")
        return resp

    @bp.get(AREA_PATH)
    def choose_area(code: str):
        """Work in another of the account's own areas (a grid worker with several)."""
        user = current_user()
        if code not in user.areas:
            return forbidden(request.path, "不是本账户的网格")
        resp = redirect("/", code=303)
        resp.set_cookie(AREA_COOKIE, code, path="/", httponly=True,
                        secure=settings.cookie_secure, samesite="Lax")
        return resp

    @bp.get(KIOSK_PATH)
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

    return bp
