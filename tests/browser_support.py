"""Constants and helpers of the browser tests (importable: ``tests/`` is on ``sys.path``)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent / "browser" / "screenshots"
WIDTH, HEIGHT = 1920, 1080

HAVE_BROWSER = CHROMIUM.is_file() and CHROMEDRIVER.is_file()
NO_BROWSER = (f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} "
              "(Debian packages chromium and chromium-driver)")


@contextmanager
def serving(app):
    """Serve a Dash app on a free localhost port in a background thread; yields its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def chromium(width: int = WIDTH, height: int = HEIGHT):
    """A headless Chromium whose page is exactly ``width`` × ``height``, with the browser
    console kept (``get_log("browser")``); quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        resize(drv, width, height)
        yield drv
    finally:
        drv.quit()


def resize(drv, width: int, height: int) -> None:
    # --window-size includes the (invisible) browser chrome in headless mode; the page
    # itself must get exactly the size of the screen it stands for.
    drv.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def header_right_edge(drv) -> tuple[float, int]:
    """The rightmost edge of anything visible in the page header, and the page width: the
    page hides overflow, so a too-wide header would silently cut the clock off."""
    return drv.execute_script(
        "return [Math.max(...[...document.querySelectorAll('.gc-header *')]"
        ".filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().right)),"
        " innerWidth];")


RIGHT_LISTS = ("#overview-alert-list", "#overview-risk-div .gc-risk-list", "#overview-feed-list")


def cut_rows(drv) -> tuple[list[str], int]:
    """The overview's right-column rows cut at their list's edge (a row lies inside its list's
    box, or was wrapped out of it to the right and is clipped whole), and how many feed rows
    are shown."""
    return drv.execute_script("""
        const cut = [];
        for (const sel of arguments[0]) {
            const list = document.querySelector(sel);
            if (!list || !list.offsetParent) continue;
            const box = list.getBoundingClientRect();
            for (const li of list.children) {
                const r = li.getBoundingClientRect();
                const inside = r.top >= box.top - 1 && r.bottom <= box.bottom + 1
                    && r.left >= box.left - 1 && r.right <= box.right + 1;
                if (!inside && r.left < box.right - 1) cut.push(sel + ' ' + li.textContent);
            }
        }
        const feed = document.querySelector('#overview-feed-list').getBoundingClientRect();
        const shown = [...document.querySelectorAll('#overview-feed-list > li')]
            .filter(li => li.getBoundingClientRect().left < feed.right - 1).length;
        return [cut, shown];""", list(RIGHT_LISTS))


def kpi_card_values(drv) -> dict[str, str]:
    """The overview's KPI cards as shown: card key → its ``data-value`` ('' when blank)."""
    return drv.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('.gc-kpi')]"
        ".map(e => [JSON.parse(e.id).key, e.dataset.value]));")


def cards_match(shown: dict[str, str], expected: list[dict]) -> bool:
    """The shown cards (:func:`kpi_card_values`) are exactly ``expected``
    (``overview_data.cards``): same keys, values equal, NaN shown blank."""
    import math

    if set(shown) != {c["key"] for c in expected}:
        return False
    for card in expected:
        got, want = shown[card["key"]], card["value"]
        if want is None or math.isnan(want):
            if got != "":
                return False
        elif got == "" or not math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-9):
            return False
    return True


def click_largest_bar(drv, graph_css: str, size: str, timeout: float = 20) -> None:
    """Click the bar of the graph at ``graph_css`` that is largest in ``size`` ("width" or
    "height"), where a person would. Plotly listens on a drag layer above the bars. On a
    fresh document ``dcc.Graph`` is a placeholder until plotly's script has loaded, then its
    element is replaced (about a second after the page's total shows), so a graph or bar
    gone stale is looked up again rather than failing the test."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def attempt(d) -> bool:
        try:
            graph = d.find_element(By.CSS_SELECTOR, graph_css)
            bars = graph.find_elements(By.CSS_SELECTOR, "g.point path")
            if not bars:
                return False
            bar = max(bars, key=lambda b: b.size[size])
            ActionChains(d).move_to_element(bar).click().perform()
        except StaleElementReferenceException:
            return False
        return True

    WebDriverWait(drv, timeout).until(attempt)


def overdue_count(drv) -> int | None:
    """The overview's 超期 alert counter, None before it is drawn."""
    from selenium.webdriver.common.by import By

    el = drv.find_elements(By.CSS_SELECTOR, ".gc-alert-overdue[data-count]")
    return int(el[0].get_attribute("data-count")) if el else None


@contextmanager
def served_as_city_leader(settings):
    """The app of ``settings`` served, and headless Chromium logged in on it as the demo
    city leader: ``(driver, url)``. Skips the test without a browser."""
    import pytest
    from auth_helpers import CITY_LEADER, login_browser

    from dashboard import create_app

    with serving(create_app(settings)) as url:
        if not HAVE_BROWSER:
            pytest.skip(NO_BROWSER)
        with chromium() as drv:
            login_browser(drv, url, *CITY_LEADER)
            yield drv, url
