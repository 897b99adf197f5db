"""The thematic pages in headless Chromium: each renders every panel with no console error
(and leaves a screenshot), a chart click filters the page to the right count, the filters
carry across pages through the nav, the definitions open, a box drawn on the map picks
grids."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import HEIGHT, SCREENSHOTS, WIDTH, click_largest_bar, resize
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids, thematic_data
from dashboard.clock import now_in
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from layouts.thematic import PAGES

pytestmark = pytest.mark.browser
CITY = Scope("3206", "leader")



def _severe(drv) -> list:
    return [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def _total(drv, page: str) -> str:
    return drv.find_element(By.ID, ids.page_id(page, "total", "text")).text


def _expected_total(demo, page, search: str) -> str:
    spec = next(p for p in PAGES if p.key == page)
    filters = Filters.from_query(search)
    fn = getattr(thematic_data, page)
    data = (fn(demo, CITY, filters, now_in(), cleared=True) if page == "persons"
            else fn(demo, CITY, filters, now_in()))
    return spec.total(data, "zh")


@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_every_page_renders_every_panel(driver, base_url, demo, page):
    driver.get_log("browser")  # start clean
    search = "?period=year&region=320612"
    driver.get(base_url + page.path + search)
    want = _expected_total(demo, page.key, search)
    WebDriverWait(driver, 40).until(lambda d: _total(d, page.key) == want)
    graphs = [p for p in page.panels if p.kind == "graph"]
    WebDriverWait(driver, 20).until(lambda d: len(d.find_elements(
        By.CSS_SELECTOR, ".gc-analysis-grid .js-plotly-plot .main-svg")) >= len(graphs))
    cards = driver.find_elements(By.CSS_SELECTOR, ".gc-akpi")
    assert len(cards) == len(page.kpis)
    assert all(c.get_attribute("title") for c in cards)  # the definition on hover
    if page.map_title:
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, ".leaflet-overlay-pane path"))
    for panel in page.panels:
        if panel.kind == "div":
            assert driver.find_element(By.ID, page.panel_output(panel)[0]).text.strip()
    # Nothing overflows the wall screen.
    assert driver.execute_script(
        "return document.documentElement.scrollHeight <= window.innerHeight + 1")
    driver.save_screenshot(str(SCREENSHOTS / f"thematic-{page.key}.png"))
    assert _severe(driver) == []


def test_a_hazard_type_click_filters_the_page(driver, base_url, demo):
    search = "?period=year&region=320612"
    driver.get(base_url + "/hazards" + search)
    before = _expected_total(demo, "hazards", search)
    WebDriverWait(driver, 40).until(lambda d: _total(d, "hazards") == before)
    click_largest_bar(driver, '[id*="\\"field\\":\\"htype\\""]', "width")
    WebDriverWait(driver, 20).until(lambda d: "htype=" in d.current_url)
    query = urlsplit(driver.current_url).query
    htype = parse_qs(query)["htype"][0]
    after = _expected_total(demo, "hazards", "?" + query)
    assert after != before
    WebDriverWait(driver, 20).until(lambda d: _total(d, "hazards") == after)
    assert htype in driver.find_element(By.ID, ids.FILTER_CHIPS_DIV).text
    # The URL the page now shows is a permalink: reopened, it shows the same view.
    kept = driver.current_url
    driver.get(kept)
    WebDriverWait(driver, 40).until(lambda d: _total(d, "hazards") == after)
    assert driver.current_url == kept
    assert htype in driver.find_element(By.ID, ids.FILTER_CHIPS_DIV).text


def test_filters_carry_across_pages_and_definitions_open(driver, base_url, demo):
    driver.get(base_url + "/hazards?period=year&region=320612&htype=消防")
    WebDriverWait(driver, 40).until(lambda d: _total(d, "hazards"))
    link = driver.find_element(By.CSS_SELECTOR, '[id*="\\"page\\":\\"persons\\""]')
    WebDriverWait(driver, 10).until(lambda _: "htype=" in (link.get_attribute("href") or ""))
    link.click()
    WebDriverWait(driver, 20).until(lambda d: urlsplit(d.current_url).path == "/persons")
    args = parse_qs(urlsplit(driver.current_url).query)
    assert args["region"] == ["320612"] and args["htype"] == ["消防"]
    want = _expected_total(demo, "persons", "?period=year&region=320612")
    WebDriverWait(driver, 40).until(lambda d: _total(d, "persons") == want)
    # The hazard filter is kept but dimmed here: this page does not use it.
    chip = driver.find_element(By.CSS_SELECTOR, f"#{ids.FILTER_CHIPS_DIV} .gc-chip-off")
    assert "消防" in chip.text
    driver.find_element(By.ID, ids.page_id("persons", "help", "summary")).click()
    help_text = driver.find_element(By.CSS_SELECTOR, ".gc-help-list").text
    assert "走访率" in help_text and "期内到期" in help_text
    driver.save_screenshot(str(SCREENSHOTS / "thematic-help.png"))
    # The overview's own query (kiosk settings) is never carried into analysis pages.
    driver.get(base_url + "/?rotate=30")
    selector = '[id*="\\"page\\":\\"hazards\\""]'
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, selector))
    link = driver.find_element(By.CSS_SELECTOR, selector)
    assert urlsplit(link.get_attribute("href")).query == ""


def test_a_box_drawn_on_the_map_picks_grids(driver, base_url, demo):
    search = "?period=year&region=320612001"
    driver.get(base_url + "/hazards" + search)
    WebDriverWait(driver, 40).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, ".leaflet-overlay-pane path"))
    driver.find_element(By.CSS_SELECTOR, ".leaflet-draw-draw-rectangle").click()
    container = driver.find_element(By.ID, ids.page_id("hazards", "map", "container"))
    size = container.size
    ActionChains(driver).move_to_element_with_offset(container, -size["width"] // 6,
                                                     -size["height"] // 6) \
        .click_and_hold().move_by_offset(40, 40).move_by_offset(size["width"] // 4,
                                                                size["height"] // 4) \
        .release().perform()
    WebDriverWait(driver, 20).until(lambda d: "grid=" in d.current_url)
    grids = Filters.from_query(urlsplit(driver.current_url).query).grids
    assert grids and all(g.startswith("320612001") for g in grids)
    # One chip per grid, or one for them all when there are many.
    shown = f"已选 {len(grids)} 个网格" if len(grids) > 5 else None
    WebDriverWait(driver, 20).until(lambda d: (
        shown in d.find_element(By.ID, ids.FILTER_CHIPS_DIV).text if shown else
        len(d.find_elements(By.CSS_SELECTOR, f"#{ids.FILTER_CHIPS_DIV} .gc-chip"))
        == 1 + len(grids)))
    driver.save_screenshot(str(SCREENSHOTS / "thematic-box.png"))
    assert _severe(driver) == []


def test_a_laptop_screen_scales_the_charts_and_keeps_the_page(driver, base_url):
    resize(driver, 1366, 768)
    try:
        driver.get(base_url + "/timeliness?period=year")
        WebDriverWait(driver, 40).until(lambda d: _total(d, "timeliness"))
        root = driver.execute_script(
            "return parseFloat(getComputedStyle(document.documentElement).fontSize)")
        want = round(13 * root / 16, 1)
        assert want < 13
        WebDriverWait(driver, 20).until(lambda d: d.execute_script(
            "var want = arguments[0];"
            "var g = document.querySelectorAll('.gc-analysis .js-plotly-plot');"
            "return g.length > 0 && Array.from(g).every(function (gd) {"
            "  return gd.layout && gd.layout.font && gd.layout.font.size === want; });",
            want))
        assert driver.execute_script(
            "return document.documentElement.scrollHeight <= window.innerHeight + 1 && "
            "document.documentElement.scrollWidth <= window.innerWidth + 1")
        driver.save_screenshot(str(SCREENSHOTS / "thematic-laptop.png"))
        assert _severe(driver) == []
    finally:
        resize(driver, WIDTH, HEIGHT)
