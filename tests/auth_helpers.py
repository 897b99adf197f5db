"""Logging in from tests: Flask test clients and Selenium drivers, with the demo accounts.

The demo accounts (``dashboard.auth.demo.DEMO_ACCOUNTS``) exist in every store the demo
builder made, and in the session auth database of ``tests/conftest.py``; their password is
``<username>@demo``.
"""

from __future__ import annotations

import re

from dashboard.auth.demo import DEMO_ACCOUNTS, demo_password

DEMO_PASSWORDS: dict[str, str] = {name: demo_password(name) for name, *_ in DEMO_ACCOUNTS}
CITY_LEADER = ("city_leader", DEMO_PASSWORDS["city_leader"])
CITY_ANALYST = ("city_analyst", DEMO_PASSWORDS["city_analyst"])
COUNTY_ANALYST = ("county_analyst", DEMO_PASSWORDS["county_analyst"])
TOWN_ANALYST = ("town_analyst", DEMO_PASSWORDS["town_analyst"])
VILLAGE_ANALYST = ("village_analyst", DEMO_PASSWORDS["village_analyst"])
GRID_WORKER = ("grid_worker", DEMO_PASSWORDS["grid_worker"])
SCREEN = ("screen", DEMO_PASSWORDS["screen"])
ADMIN = ("admin", DEMO_PASSWORDS["admin"])
ORIGIN = "http://localhost"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_client(client, username: str, password: str, expect_ok: bool = True):
    """Log a Flask test client in through the real login form; returns the POST response.

    The client keeps the session cookie; callback POSTs then need the same-origin header
    the browser sends: ``headers={"Origin": ORIGIN}`` (see :func:`post_callback`).
    """
    form = client.get("/login")
    assert form.status_code == 200, form.status_code
    token = _CSRF.search(form.get_data(as_text=True)).group(1)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        headers={"Origin": ORIGIN},
    )
    if expect_ok:
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response


def post_callback(client, payload: dict, **headers):
    """POST a callback body as the Dash renderer does (JSON, same origin)."""
    return client.post("/_dash-update-component", json=payload,
                       headers={"Origin": ORIGIN, **headers})


def login_browser(driver, base_url: str, username: str, password: str,
                  timeout: float = 20) -> None:
    """Log a Selenium driver in through the login page and wait until it has left it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/login")
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, timeout).until(lambda d: "/login" not in d.current_url)
