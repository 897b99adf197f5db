"""``gridcmd serve`` as a real process: it prints its URL and answers on it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from auth_helpers import CITY_LEADER


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_url_and_serves_page_and_geometry(demo_store, auth_db):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--store", str(demo_store)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "GRIDCMD_AUTH_DB": str(auth_db)})
    try:
        url = f"http://127.0.0.1:{port}/"
        assert url in proc.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    page = resp.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.3)
        assert "网格指挥舱" in page and "登录" in page  # redirected to the login page
        try:
            urllib.request.urlopen(url + "geo/320600000000.geojson", timeout=10)
            raise AssertionError("geometry served without a session")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        cookie = _login(url, *CITY_LEADER)
        with _open(url, cookie) as resp:
            assert "网格指挥舱" in resp.read().decode()
            assert "Content-Security-Policy" in resp.headers
        with _open(url + "geo/320600000000.geojson", cookie) as resp:
            assert resp.status == 200
            assert b'"FeatureCollection"' in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(url, cookie, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers={"Cookie": cookie,
                                                              **(headers or {})})
    return urllib.request.build_opener(_NoRedirect).open(request, timeout=10)


def _login(url: str, username: str, password: str) -> str:
    """Log in through the form by hand (the session cookie is Secure, which Python's cookie
    jar keeps to HTTPS) and return the Cookie header value of the session."""
    with urllib.request.urlopen(url + "login", timeout=10) as resp:
        form = resp.read().decode()
        csrf_cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token, "next": "/"}).encode()
    try:
        _open(url + "login", csrf_cookie, data, {"Origin": url.rstrip("/")})
        raise AssertionError("login did not redirect")
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.code
        session = [c for c in exc.headers.get_all("Set-Cookie") if "gridcmd_session=" in c]
    return session[0].split(";", 1)[0]


def test_serve_rejects_a_missing_store_when_demo_is_off(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "serve", "--store", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "GRIDCMD_DEMO_ON_START": "false"})
    assert out.returncode == 2
    assert "store not found" in out.stderr
