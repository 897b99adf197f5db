"""The 即将超期风险 panels in headless Chromium, on the 时效 page and as the overview's
alerts-card pane: they show the stored results (风险案件数 and the queue's probabilities
and case numbers equal to ``foresight_scores`` read directly), with no console error, and
leave screenshots."""

from __future__ import annotations

import pytest
from browser_support import SCREENSHOTS, cut_rows, header_right_edge
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.settings import Settings

pytestmark = pytest.mark.browser
PANEL = "timeliness-risk-div"


def _stored(demo, county: str, threshold: float):
    """The stored scores of ``county``, straight from the table (no GridCommand code)."""
    rows = demo.execute(
        "SELECT case_no, probability FROM foresight_scores WHERE kind = 'risk' "
        "AND starts_with(grid_code, $c) ORDER BY probability DESC, deadline_at, case_id",
        {"c": county}).fetchall()
    return [r for r in rows if r[1] >= threshold], len(rows), rows


def test_the_risk_panel_shows_the_stored_queue(driver, base_url, demo):
    threshold = Settings.load().foresight_threshold
    counties = [r[0] for r in demo.execute(
        "SELECT substr(grid_code, 1, 6) AS c, count(*) FILTER (WHERE probability >= $t) AS n "
        "FROM foresight_scores WHERE kind = 'risk' GROUP BY 1 ORDER BY n DESC, c LIMIT 1",
        {"t": threshold}).fetchall()]
    county = counties[0]
    at_risk, scored, every = _stored(demo, county, threshold)
    driver.get_log("browser")
    driver.get(f"{base_url}/timeliness?period=year&region={county}")
    want = f"风险案件数 {len(at_risk):,} 件"
    WebDriverWait(driver, 60).until(
        lambda d: want in d.find_element(By.ID, PANEL).text)
    panel = driver.find_element(By.ID, PANEL)
    assert f"在办有时限 {scored:,} 件" in panel.text
    # the queue at the threshold or, on a day when no case reaches it (the demo's scores
    # depend on the hour it was built), the five most likely below it, shown as such
    cells = panel.find_elements(By.CSS_SELECTOR, "tr.gc-risk-row, tr.gc-risk-watch-row")
    shown = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in cells]
    listed = at_risk[:30] if at_risk else every[:5]
    expected = [[f"{p:.0%}", case_no] for case_no, p in listed]
    assert [row[:2] for row in shown] == expected and shown
    why = panel.find_elements(By.CSS_SELECTOR, "tr.gc-risk-why")
    assert len(why) == len(shown) and all(w.text.startswith("距时限还剩") for w in why)
    # the reasons row spans the table (a box rule on it once squeezed it into one column)
    width = panel.find_element(By.CSS_SELECTOR, "tr.gc-risk-row, tr.gc-risk-watch-row").size
    assert all(w.size["width"] >= 0.9 * width["width"] for w in why), [w.size for w in why]
    driver.execute_script("arguments[0].scrollIntoView()", panel)
    driver.save_screenshot(str(SCREENSHOTS / "foresight-risk-panel.png"))
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_overview_pane_shows_the_stored_queue(driver, base_url, demo):
    threshold = Settings.load().foresight_threshold
    at_risk, scored, every = _stored(demo, "3206", threshold)
    driver.get_log("browser")
    driver.get(base_url + "/")
    tab = "超期风险 " + f"{len(at_risk):,}"
    WebDriverWait(driver, 60).until(
        lambda d: tab in d.find_element(By.ID, "overview-alert-tab").text)
    pane = driver.find_element(By.ID, "overview-risk-div")
    assert not pane.is_displayed()  # the alerts show first
    label = next(e for e in driver.find_elements(By.CSS_SELECTOR, "#overview-alert-tab label")
                 if e.text.startswith("超期风险"))
    label.click()
    WebDriverWait(driver, 10).until(lambda d: pane.is_displayed())
    assert not driver.find_element(By.ID, "overview-alert-pane").is_displayed()
    assert f"风险案件数 {len(at_risk):,} 件 / 在办有时限 {scored:,} 件" in pane.text
    rows = pane.find_elements(By.CSS_SELECTOR, "li.gc-risk-item")
    shown = [(r.get_attribute("data-case"),
              r.find_element(By.CLASS_NAME, "gc-alert-tag").get_attribute("textContent"))
             for r in rows]
    listed = at_risk[:5] if at_risk else every[:5]  # the nearest below it, when none is at it
    assert shown == [(c, f"{p:.0%}") for c, p in listed] and rows
    assert all(r.find_element(By.CLASS_NAME, "gc-risk-why").get_attribute("title")
               .startswith("距时限还剩") for r in rows)
    # the card still fits the screen: no scrollbar, every panel ends inside it
    inner_h, scroll_h = driver.execute_script(
        "return [innerHeight, document.documentElement.scrollHeight];")
    assert scroll_h <= inner_h
    bottoms = driver.execute_script(
        "return [...document.querySelectorAll('.gc-card')]"
        ".map(e => e.getBoundingClientRect().bottom);")
    assert max(bottoms) <= inner_h + 1
    # the lists of the right column show whole rows: a row either lies inside its list's
    # box or was wrapped out of it to the right (clipped), never cut at the bottom; the
    # feed keeps at least two rows beside the open pane
    cut, feed_rows = cut_rows(driver)
    assert cut == [] and feed_rows >= 2, (cut, feed_rows)
    right, width = header_right_edge(driver)
    assert right <= width + 1
    driver.save_screenshot(str(SCREENSHOTS / "overview-risk-pane.png"))
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_kiosk_shows_the_queue_with_the_timeliness_theme(driver, base_url):
    """On a kiosk nobody clicks: the alerts card follows the rotation, showing the at-risk
    queue while the 处置时效 theme (map indicator 处置时长) is on and the alerts otherwise."""
    driver.get(base_url + "/?kiosk=1&rotate=5")

    def checked(d):
        return d.execute_script(
            "const i = document.querySelector('.gc-indicators input:checked');"
            "return i && i.value;")

    def shown(d, pane):
        return d.find_element(By.ID, pane).is_displayed()

    WebDriverWait(driver, 60, poll_frequency=0.2).until(lambda d: checked(d) == "handle")
    WebDriverWait(driver, 5, poll_frequency=0.2).until(
        lambda d: shown(d, "overview-risk-div") and not shown(d, "overview-alert-pane"))
    WebDriverWait(driver, 15, poll_frequency=0.2).until(lambda d: checked(d) != "handle")
    WebDriverWait(driver, 5, poll_frequency=0.2).until(
        lambda d: shown(d, "overview-alert-pane") and not shown(d, "overview-risk-div"))
    driver.get(base_url + "/")  # leave the kiosk
