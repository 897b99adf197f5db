"""The 时效 page's 即将超期风险 panel in headless Chromium: it shows the stored results (风险
案件数 and the queue's probabilities and case numbers equal to ``foresight_scores`` read
directly), with no console error, and leaves a screenshot."""

from __future__ import annotations

import pytest
from browser_support import SCREENSHOTS
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
    return [r for r in rows if r[1] >= threshold], len(rows)


def test_the_risk_panel_shows_the_stored_queue(driver, base_url, demo):
    threshold = Settings.load().foresight_threshold
    counties = [r[0] for r in demo.execute(
        "SELECT substr(grid_code, 1, 6) AS c, count(*) FILTER (WHERE probability >= $t) AS n "
        "FROM foresight_scores WHERE kind = 'risk' GROUP BY 1 ORDER BY n DESC, c LIMIT 1",
        {"t": threshold}).fetchall()]
    county = counties[0]
    at_risk, scored = _stored(demo, county, threshold)
    driver.get_log("browser")
    driver.get(f"{base_url}/timeliness?period=year&region={county}")
    want = f"风险案件数 {len(at_risk):,} 件"
    WebDriverWait(driver, 60).until(
        lambda d: want in d.find_element(By.ID, PANEL).text)
    panel = driver.find_element(By.ID, PANEL)
    assert f"在办有时限 {scored:,} 件" in panel.text
    cells = panel.find_elements(By.CSS_SELECTOR, "tr.gc-risk-row")
    shown = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in cells]
    expected = [[f"{p:.0%}", case_no] for case_no, p in at_risk[:30]]
    assert [row[:2] for row in shown] == expected
    why = panel.find_elements(By.CSS_SELECTOR, "tr.gc-risk-why")
    assert len(why) == len(shown) and all(w.text.startswith("距时限还剩") for w in why)
    driver.execute_script("arguments[0].scrollIntoView()", panel)
    driver.save_screenshot(str(SCREENSHOTS / "foresight-risk-panel.png"))
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
