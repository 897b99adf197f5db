"""Logging in from tests: Flask test clients and Selenium drivers, with the demo accounts.

The demo accounts (``dashboard.auth.demo.DEMO_ACCOUNTS``) exist in every store the demo
builder made, and in the session auth database of ``tests/conftest.py``; their password is
``Nantong@2023`` (``dashboard.auth.demo.DEMO_PASSWORD``).
"""

from __future__ import annotations

import json
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


def callback_outputs(key: str):
    """The ``outputs`` of a callback request for the ``callback_map`` key ``key``: a list
    for a multi-output callback (``..a.b...c.d..``), one dict for a single output."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop})
    return out if key.startswith("..") else out[0]


def callback_request(app, output: str, inputs, state=(), changed=()) -> dict:
    """The body the renderer POSTs for the callback whose key contains ``output``."""
    key = next(k for k in app.callback_map if output in k)
    return {"output": key, "outputs": callback_outputs(key), "inputs": list(inputs),
            "state": list(state), "changedPropIds": list(changed)}


def filter_state_request(app, page: str, search: str, chart=None, drawing=None) -> dict:
    """The filter callback's body as the browser sends it after a click on a chart bar
    (``chart`` = (field, key)) or a shape drawn on the map (``drawing``, GeoJSON) of
    ``page``, whose URL query is ``search``."""
    from dashboard import ids
    from dashboard.callbacks.filterbar import CONTROLS
    from dashboard.filters import Filters

    fields = ("day", "major", "source", "status")
    graphs = [{"id": {"type": ids.XFILTER_GRAPH, "field": f, "page": page},
               "property": "clickData", "value": None} for f in fields]
    draw = {"type": ids.XFILTER_DRAW, "name": page}
    changed = []
    if chart:
        field, value = chart
        for g in graphs:
            if g["id"]["field"] == field:
                g["value"] = {"points": [{"customdata": value}]}
        changed = [json.dumps({"field": field, "page": page, "type": ids.XFILTER_GRAPH},
                              separators=(",", ":")) + ".clickData"]
    if drawing is not None:
        changed = [json.dumps(draw, separators=(",", ":"), sort_keys=True) + ".geojson"]
    filters = Filters.from_query(search)
    values = {ids.FILTER_CATEGORY_DROPDOWN: list(filters.majors),
              ids.FILTER_SOURCE_DROPDOWN: list(filters.sources)}
    inputs = [
        {"id": ids.FILTER_PERIOD_DROPDOWN, "property": "value", "value": filters.period},
        {"id": ids.FILTER_DATES_PICKER, "property": "start_date", "value": None},
        {"id": ids.FILTER_DATES_PICKER, "property": "end_date", "value": None},
        {"id": ids.FILTER_REGION_DROPDOWN, "property": "value", "value": filters.region or None},
        *({"id": c, "property": "value", "value": values.get(c, [])} for c in CONTROLS),
        {"id": ids.FILTER_RESET_BUTTON, "property": "n_clicks", "value": 0},
        [],
        graphs,
        [{"id": {"type": ids.XFILTER_MAP, "name": page}, "property": "n_clicks", "value": 0}],
        [{"id": draw, "property": "geojson", "value": drawing}],
    ]
    state = [
        [{"id": {"type": ids.XFILTER_MAP, "name": page}, "property": "clickData",
          "value": None}],
        {"id": ids.FILTER_GRIDS_STORE, "property": "data", "value": []},
        {"id": ids.FILTER_URL, "property": "search", "value": search},
    ]
    return callback_request(app, f"{ids.FILTER_URL}.search", inputs, state, changed)


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
