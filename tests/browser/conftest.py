"""Shared browser fixtures: a served app and a headless Chromium at wall-screen size."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dashboard import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
WIDTH, HEIGHT = 1920, 1080

HAVE_BROWSER = CHROMIUM.is_file() and CHROMEDRIVER.is_file()
NO_BROWSER = (f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} "
              "(Debian packages chromium and chromium-driver)")


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


def resize(drv, width: int, height: int) -> None:
    # --window-size includes the (invisible) browser chrome in headless mode; the page
    # itself must get exactly the size of the screen it stands for.
    drv.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


@pytest.fixture(scope="module")
def driver():
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
    yield drv
    drv.quit()


