"""The 事件分析 workbench in headless Chromium: a permalink reopens the same view, a click on
a chart filters the table to the right count, a row opens the case, nothing errs."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from browser_support import SCREENSHOTS, click_largest_bar
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope

pytestmark = pytest.mark.browser

LINK = "/cases?period=year&region=320612&major=S01,S04&source=12345热线,网格员巡查"


def _count(demo, search: str) -> int:
    f = Filters.from_query(search)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    p = f.params(Scope("3206", "leader"), today)
    return demo.execute(
        """SELECT count(*) FROM incidents i JOIN categories c ON c.code = i.category_code
           WHERE starts_with(i.grid_code, ?) AND i.reported_at >= ? AND i.reported_at < ?
             AND (? IS NULL OR list_contains(?, c.major_code))
             AND (? IS NULL OR list_contains(?, i.source))
             AND (? IS NULL OR list_contains(?, i.status))""",
        [p["prefix"], p["start"], p["end"], p["majors"], p["majors"], p["sources"],
         p["sources"], p["statuses"], p["statuses"]]).fetchone()[0]


def _total(drv) -> str:
    return drv.find_element(By.ID, ids.CASES_TOTAL_TEXT).text


def _chips(drv) -> set[str]:
    return {c.text.rstrip("×").strip()
            for c in drv.find_elements(By.CSS_SELECTOR, f"#{ids.FILTER_CHIPS_DIV} .gc-chip")}


def _severe(drv) -> list:
    return [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def test_a_permalink_reopens_the_same_view(driver, base_url, demo):
    driver.get(base_url + LINK)
    expected = _count(demo, LINK.split("?", 1)[1])
    WebDriverWait(driver, 40).until(lambda d: f"{expected:,}" in _total(d))
    assert _chips(driver) == {"通州区", "矛盾纠纷", "消防安全", "12345热线", "网格员巡查"}
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{ids.CASES_TABLE} tbody tr")
    assert len(rows) > 1
    # The URL the page keeps is the same view: opening it in a fresh load gives the same.
    kept = driver.execute_script("return location.pathname + location.search;")
    driver.get(base_url + kept)
    WebDriverWait(driver, 40).until(lambda d: f"{expected:,}" in _total(d))
    assert _chips(driver) == {"通州区", "矛盾纠纷", "消防安全", "12345热线", "网格员巡查"}
    driver.save_screenshot(str(SCREENSHOTS / "cases.png"))
    assert _severe(driver) == []


def test_a_status_bar_click_filters_the_table(driver, base_url, demo):
    driver.get(base_url + "/cases?period=30d&region=320612")
    before = _count(demo, "period=30d&region=320612")
    WebDriverWait(driver, 40).until(lambda d: f"{before:,}" in _total(d))
    # The tallest bar is 已结案 (most cases are closed).
    click_largest_bar(driver, '[id*="\\"field\\":\\"status\\""]', "height")
    WebDriverWait(driver, 20).until(lambda d: "status=" in d.current_url)
    status = parse_qs(urlsplit(driver.current_url).query)["status"][0]
    after = _count(demo, f"period=30d&region=320612&status={status}")
    assert after < before
    WebDriverWait(driver, 20).until(lambda d: f"{after:,}" in _total(d))
    assert status in _chips(driver)
    # Removing the chip restores the previous view.
    driver.find_element(By.CSS_SELECTOR, f"#{ids.FILTER_CHIPS_DIV} .gc-chip:last-child").click()
    WebDriverWait(driver, 20).until(lambda d: f"{before:,}" in _total(d))
    assert "status=" not in driver.current_url


def test_a_row_opens_the_case(driver, base_url):
    driver.get(base_url + "/cases?period=30d&region=320612&status=已结案")
    WebDriverWait(driver, 40).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#{ids.CASES_TABLE} tbody td")) > 5)
    cell = driver.find_elements(By.CSS_SELECTOR, f"#{ids.CASES_TABLE} tbody td")[0]
    case_no = cell.text
    cell.click()
    panel = driver.find_element(By.ID, ids.CASES_DETAIL_DIV)
    WebDriverWait(driver, 20).until(lambda _: case_no in panel.text)
    steps = panel.find_elements(By.CSS_SELECTOR, ".gc-step-done")
    assert len(steps) == 6  # 上报 立案 派遣 处置 核查 结案, all reached for a closed case
    driver.save_screenshot(str(SCREENSHOTS / "cases-detail.png"))
    assert _severe(driver) == []


def test_a_bad_link_says_so(driver, base_url):
    driver.get_log("browser")  # this test's own log lines only
    driver.get(base_url + "/cases?period=forever")
    WebDriverWait(driver, 40).until(
        lambda d: "无效" in d.find_element(By.ID, ids.FILTER_ERROR_DIV).text)
    # Nothing was read for the bad link: the callbacks refused it (400), the page says why.
    assert _total(driver) == ""
    # The browser logs the refused callback requests (and Dash's renderer failing to read
    # their error body); nothing else.
    refused = _severe(driver)
    assert refused and all("_dash-update-component" in e["message"]
                           or "body stream already read" in e["message"]
                           for e in refused), refused


def test_a_grid_link_opens_its_profile(driver, base_url, demo):
    grid, name = demo.execute(
        "SELECT code, name FROM grids WHERE code LIKE '320612%' ORDER BY code LIMIT 1"
    ).fetchone()
    driver.get_log("browser")  # this test's own log lines only
    driver.get(base_url + f"/cases?period=30d&region={grid}")
    WebDriverWait(driver, 40).until(
        lambda d: name in d.find_element(By.ID, ids.CASES_PROFILE_DIV).text)
    text = driver.find_element(By.ID, ids.CASES_PROFILE_DIV).text
    assert "本网格" in text and "所在乡镇(街道)" in text
    driver.save_screenshot(str(SCREENSHOTS / "cases-grid-profile.png"))
    assert _severe(driver) == []
