"""The overview's alert list shows the stored surge alerts (异常预警) in headless Chromium:
a surge planted into a copy of the demo store (tests/surge_helpers.py) is detected, and the
list shows its alert with the evidence, counts and region equal to ``foresight_scores``
read directly, the 指标说明 on hover; no console error; a screenshot."""

from __future__ import annotations

import pytest
from auth_helpers import CITY_LEADER, login_browser
from browser_support import HAVE_BROWSER, NO_BROWSER, SCREENSHOTS, chromium, serving
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import create_app, ids
from dashboard.foresight import surge as S
from dashboard.settings import Settings
from tests.surge_helpers import plant_surge
from tests.unit.ingest_helpers import copy_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def surged(demo_store, auth_db, tmp_path_factory):
    import duckdb

    path = copy_store(demo_store, tmp_path_factory.mktemp("surge-wall"), "surge.duckdb")
    info = plant_surge(path)
    con = duckdb.connect(str(path))
    S.update(con, asof=info["asof"], refit=True)
    rows = con.execute(
        "SELECT s.grid_code, s.reasons, s.observed, s.baseline_per_day, s.window_days, "
        "s.q_value, r.name FROM foresight_scores s "
        "LEFT JOIN regions r ON r.short_code = s.grid_code "
        "WHERE s.kind = 'surge' AND starts_with(s.grid_code, $c) "
        "ORDER BY s.q_value, s.observed DESC, s.grid_code, s.category_code",
        {"c": info["county"]}).fetchall()
    con.close()
    settings = Settings.load(store=path, demo_on_start=False, auth_db=str(auth_db))
    with serving(create_app(settings)) as url:
        if not HAVE_BROWSER:
            pytest.skip(NO_BROWSER)
        with chromium() as drv:
            login_browser(drv, url, *CITY_LEADER)
            yield drv, url, info, rows


def test_the_alert_list_shows_the_stored_surge(surged):
    driver, url, info, rows = surged
    assert rows, "the planted surge should be stored as an alert"
    region, reasons, observed, per_day, window, _, name = rows[0]
    # independent of the product: the evidence states the stored counts
    when = f"近{window}日"
    assert f"{when} {observed} 件，基线 {per_day:.1f} 件/日" in reasons
    driver.get_log("browser")
    driver.get(f"{url}/?region={info['county']}")
    sel = f"#{ids.OVERVIEW_ALERT_LIST} li.gc-alert-surge"
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, sel))
    shown = driver.find_elements(By.CSS_SELECTOR, sel)
    first = shown[0]
    assert first.find_element(By.CSS_SELECTOR, ".gc-alert-tag").text == "异常预警"
    assert first.find_element(By.CSS_SELECTOR, ".gc-alert-title").text == reasons
    place = first.find_element(By.CSS_SELECTOR, ".gc-alert-place").text
    assert place.startswith(name or region)
    assert f"{info['day']:%m-%d}" in place
    assert "指标说明" in first.get_attribute("title")
    # every surge row shown is one of the stored alerts of the region, strongest first
    # (textContent: rows wrapped out of the list's box are clipped whole, so .text is '')
    assert [e.find_element(By.CSS_SELECTOR, ".gc-alert-title").get_attribute("textContent")
            for e in shown] == \
        [r[1] for r in rows[:len(shown)]]
    panel = driver.find_element(By.ID, ids.OVERVIEW_ALERT_LIST)
    driver.execute_script("arguments[0].scrollIntoView()", panel)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / "overview-surge-alert.png"))
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
