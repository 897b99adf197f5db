"""The 数据质量 page in headless Chromium, on a store with a 311 export whose rows are 14%
at a placeholder point: every panel renders with the figures of the data layer and no
console error (screenshots ``quality.png``, ``quality-county.png``), the definitions open,
a county analyst gets the county's regions without the import log."""

from __future__ import annotations

import pytest
from auth_helpers import CITY_LEADER, COUNTY_ANALYST, login_browser
from browser_support import HAVE_BROWSER, NO_BROWSER, SCREENSHOTS, chromium, serving
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import create_app, ids, quality_data
from dashboard.auth.demo import seed_demo_users
from dashboard.auth.store import AuthStore
from dashboard.clock import now_in
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def quality_url(placeholder_store):
    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = placeholder_store["path"]
    auth = path.with_name("quality-browser-auth.sqlite")
    seed_demo_users(AuthStore(auth))
    app = create_app(Settings.load(store=path, demo_on_start=False, auth_db=str(auth)))
    with serving(app) as url:
        yield url


def _severe(drv) -> list:
    return [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def _expected(placeholder_store, region: str, level: int):
    import duckdb

    with duckdb.connect(str(placeholder_store["path"]), read_only=True) as con:
        table = quality_data.regions(con, Scope(region, "leader"), level,
                                     *Filters().span(now_in().date()))
    return table


def test_the_page_shows_the_regions_points_and_import_log(quality_url, placeholder_store):
    table = _expected(placeholder_store, "3206", 6)
    total = table[table["total"]].iloc[0]
    with chromium() as drv:
        login_browser(drv, quality_url, *CITY_LEADER)
        drv.get_log("browser")
        drv.get(quality_url + "/quality")
        want = f"记录 {int(total['records']):,} 条"
        WebDriverWait(drv, 60).until(
            lambda d: want in d.find_element(By.ID, ids.QUALITY_TOTAL_TEXT).text)
        cards = drv.find_elements(By.CSS_SELECTOR, f"#{ids.QUALITY_CARDS_DIV} .gc-akpi")
        assert [c.find_element(By.CSS_SELECTOR, ".gc-akpi-value").text for c in cards] == [
            f"{int(total[k]):,}" for k in ("records", "flagged", "ungridded", "outside",
                                           "no_deadline")]
        assert all(c.get_attribute("title") for c in cards)
        regions = drv.find_element(By.ID, ids.QUALITY_REGIONS_DIV).get_attribute("textContent")
        assert "仅知属于南通市" in regions and "崇川区" in regions
        WebDriverWait(drv, 20).until(lambda d: placeholder_store["csv"].name in d.find_element(
            By.ID, ids.QUALITY_IMPORTS_DIV).text)
        assert "120.86600, 32.01000" in drv.find_element(By.ID, ids.QUALITY_POINTS_DIV).text
        WebDriverWait(drv, 20).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, ".leaflet-overlay-pane path"))
        WebDriverWait(drv, 20).until(lambda d: len(d.find_elements(
            By.CSS_SELECTOR, ".gc-analysis-grid .js-plotly-plot .main-svg")) >= 2)
        assert drv.execute_script(
            "return document.documentElement.scrollHeight <= window.innerHeight + 1")
        drv.save_screenshot(str(SCREENSHOTS / "quality.png"))
        drv.find_element(By.ID, ids.QUALITY_HELP_SUMMARY).click()
        help_text = drv.find_element(By.CSS_SELECTOR, ".gc-help-list").text
        assert "占位坐标" in help_text and "网格外" in help_text and "无时限案件" in help_text
        drv.save_screenshot(str(SCREENSHOTS / "quality-help.png"))
        assert _severe(drv) == []


def test_a_county_analyst_sees_the_county_without_the_import_log(quality_url,
                                                                 placeholder_store):
    table = _expected(placeholder_store, "320612", 9)
    total = table[table["total"]].iloc[0]
    with chromium() as drv:
        login_browser(drv, quality_url, *COUNTY_ANALYST)
        drv.get_log("browser")
        drv.get(quality_url + "/quality")
        want = "通州区 · "
        WebDriverWait(drv, 60).until(
            lambda d: d.find_element(By.ID, ids.QUALITY_TOTAL_TEXT).text.startswith(want))
        assert f"记录 {int(total['records']):,} 条" in drv.find_element(
            By.ID, ids.QUALITY_TOTAL_TEXT).text
        regions = drv.find_element(By.ID, ids.QUALITY_REGIONS_DIV).get_attribute("textContent")
        assert "金沙街道" in regions and "崇川区" not in regions
        assert not drv.find_element(By.ID, ids.QUALITY_IMPORTS_DIV).is_displayed()
        assert placeholder_store["csv"].name not in drv.page_source
        drv.save_screenshot(str(SCREENSHOTS / "quality-county.png"))
        assert _severe(drv) == []
