"""The overview page in headless Chromium: polygons drawn, counts right, nothing off-host."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dashboard import create_app, ids
from layouts.overview import format_count

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
COUNTY_NAMES = ("崇川区", "通州区", "海门区", "如东县", "启东市", "如皋市", "海安市")
WIDTH, HEIGHT = 1920, 1080

if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(
        f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} "
        "(Debian packages chromium and chromium-driver)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402  (only importable where the browser exists)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402


@pytest.fixture(scope="module")
def base_url(settings):
    """Serve a fresh app on a free localhost port in a background thread."""
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={WIDTH},{HEIGHT}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    # --window-size includes the (invisible) browser chrome in headless mode; the page
    # itself must get exactly the 1920×1080 of a wall screen.
    drv.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def expected_counts(demo_store) -> dict[str, int]:
    """Non-void cases of the last 30 calendar days per county-level region, counted apart."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    since = datetime.combine(today - timedelta(days=29), datetime.min.time())
    until = datetime.combine(today + timedelta(days=1), datetime.min.time())
    con = duckdb.connect(str(demo_store), read_only=True)
    try:
        rows = con.execute(
            """
            SELECT r.code, count(i.grid_code)
            FROM regions r
            LEFT JOIN incidents i
              ON left(i.grid_code, 6) = r.short_code
             AND i.reported_at >= ? AND i.reported_at < ? AND NOT i.is_void
            WHERE r.level = 'county' AND r.parent_code = '320600000000'
            GROUP BY r.code
            """,
            [since, until],
        ).fetchall()
    finally:
        con.close()
    return {code: int(n) for code, n in rows}


@pytest.fixture(scope="module")
def page(driver, base_url):
    """Load the overview and wait until the polygons, their labels and the ranking are in."""
    driver.get(base_url + "/")

    def ready(drv):
        paths = drv.find_elements(By.CSS_SELECTOR, f"#{ids.OVERVIEW_MAP} path.leaflet-interactive")
        rows = drv.find_elements(By.CSS_SELECTOR, f"#{ids.OVERVIEW_RANKING_LIST} li")
        labels = drv.find_elements(By.CSS_SELECTOR, ".gc-region-label .gc-label-value")
        return len(paths) >= 8 and len(rows) >= 8 and len(labels) >= 8

    WebDriverWait(driver, 30, poll_frequency=0.2).until(ready)
    # Let the fit-to-bounds and the label placement settle before looking and measuring.
    driver.execute_script("return new Promise(r => setTimeout(r, 500))")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "overview.png"))
    return driver


def test_county_level_polygons_are_drawn(page):
    paths = page.find_elements(By.CSS_SELECTOR, f"#{ids.OVERVIEW_MAP} path.leaflet-interactive")
    assert len(paths) == 8  # 7 counties + 南通经济技术开发区
    text = page.find_element(By.TAG_NAME, "body").text
    for name in COUNTY_NAMES:
        assert name in text
    fills = {p.get_attribute("fill") for p in paths}
    assert len(fills) >= 2, fills
    # Every polygon is on screen (the map was fitted to the city).
    for p in paths:
        rect = p.rect
        assert rect["width"] > 5 and rect["height"] > 5
        assert 0 <= rect["x"] and rect["x"] + rect["width"] <= WIDTH


def test_ranking_numbers_equal_the_store(page, expected_counts):
    rows = page.find_elements(By.CSS_SELECTOR, f"#{ids.OVERVIEW_RANKING_LIST} li")
    shown = {}
    for row in rows:
        code = row.get_attribute("data-code")
        value = row.find_element(By.CSS_SELECTOR, ".gc-rank-value").text
        assert value == format_count(expected_counts[code])
        shown[code] = int(row.get_attribute("data-count"))
    assert shown == expected_counts
    total = page.find_element(By.ID, ids.OVERVIEW_TOTAL_VALUE).text
    assert total == format_count(sum(expected_counts.values()))


def test_map_labels_carry_the_counts(page, expected_counts):
    labels = page.find_elements(By.CSS_SELECTOR, ".gc-region-label .gc-label-value")
    shown = sorted(label.text.rstrip("件") for label in labels)
    assert shown == sorted(format_count(n) for n in expected_counts.values())


def test_fits_the_screen_without_scrollbars(page):
    size = page.execute_script(
        "const d = document.documentElement;"
        "return [innerWidth, innerHeight, d.scrollWidth, d.scrollHeight];"
    )
    inner_w, inner_h, scroll_w, scroll_h = size
    assert (inner_w, inner_h) == (WIDTH, HEIGHT)
    assert scroll_w <= inner_w and scroll_h <= inner_h
    overflowing = page.execute_script(
        "return [...document.querySelectorAll('.gc-side *, .gc-header *')]"
        ".filter(e => e.scrollHeight > e.clientHeight + 1 &&"
        " ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)).length;"
    )
    assert overflowing == 0


def test_no_request_leaves_localhost(page, base_url):
    names = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);"
    )
    assert any("/geo/320600000000.geojson" in n for n in names)
    off_host = [n for n in names if not n.startswith(base_url + "/")]
    assert off_host == []


def test_hover_highlights_a_region(page):
    path = page.find_elements(By.CSS_SELECTOR, f"#{ids.OVERVIEW_MAP} path.leaflet-interactive")[0]
    ActionChains(page).move_to_element(path).perform()
    WebDriverWait(page, 5).until(lambda _: path.get_attribute("stroke-width") == "3")
    assert page.find_elements(By.CSS_SELECTOR, ".gc-region-label-hover")
    ActionChains(page).move_by_offset(0, 0).move_to_element(
        page.find_element(By.ID, ids.OVERVIEW_TOTAL_VALUE)
    ).perform()
    WebDriverWait(page, 5).until(lambda _: path.get_attribute("stroke-width") != "3")


def test_browser_console_has_no_errors(page):
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
