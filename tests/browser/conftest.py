"""Shared browser fixtures: a served app and a headless Chromium at wall-screen size."""

from __future__ import annotations

import threading

import pytest
from auth_helpers import CITY_LEADER, login_browser
from browser_support import CHROMEDRIVER, CHROMIUM, HAVE_BROWSER, HEIGHT, NO_BROWSER, WIDTH, resize

from dashboard import create_app


@pytest.fixture(scope="module")
def base_url(settings):
    """Serve a fresh app on a free localhost port in a background thread."""
    from werkzeug.serving import make_server

    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def driver(base_url):
    """Headless Chromium at 1920×1080, logged in as the demo city leader."""
    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                f"--window-size={WIDTH},{HEIGHT}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    resize(drv, WIDTH, HEIGHT)
    login_browser(drv, base_url, *CITY_LEADER)
    yield drv
    drv.quit()


