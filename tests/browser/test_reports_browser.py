"""The 通报 page in headless Chromium: a county analyst sees the county's archived reports
(not the other county's), in the nav, with download links that the server serves (the
docx fetched through the browser's session is the archived file); no console error
(screenshot ``reports.png``)."""

from __future__ import annotations

from datetime import datetime

import pytest
from auth_helpers import COUNTY_ANALYST, login_browser
from browser_support import HAVE_BROWSER, NO_BROWSER, SCREENSHOTS, chromium, serving
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import create_app
from dashboard.clock import store_now
from dashboard.periods import ReportPeriod
from dashboard.report.archive import Archive, generate
from dashboard.report.schedule import previous_month
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reports_url(demo, demo_store, auth_db, tmp_path_factory):
    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("browser-reports") / "archive"
    end = demo.execute("SELECT value FROM meta WHERE key = 'history_end'").fetchone()[0]
    month = previous_month(datetime.fromisoformat(end).date())
    archive = Archive(root)
    now = store_now(demo)
    made = {region: generate(demo, archive, region, month, as_of=now, now=now,
                             formats=["docx", "pdf"]).entry
            for region in ("320612", "320613")}
    # the week before the history's last day: a weekly 通报, listed before the month
    week = ReportPeriod.previous("week", datetime.fromisoformat(end).date())
    made["320612-week"] = generate(demo, archive, "320612", week, as_of=now, now=now,
                                   formats=["xlsx"]).entry
    app = create_app(Settings.load(store=demo_store, demo_on_start=False, auth_db=str(auth_db),
                                   report_archive=str(root)))
    with serving(app) as url:
        yield url, made, month


def test_a_county_analyst_sees_and_downloads_the_countys_reports(reports_url):
    url, made, month = reports_url
    with chromium() as drv:
        login_browser(drv, url, *COUNTY_ANALYST)
        drv.get_log("browser")
        drv.get(url + "/reports")
        WebDriverWait(drv, 60).until(lambda d: d.find_elements(By.ID, "reports-table"))
        rows = drv.find_elements(By.CSS_SELECTOR, "#reports-table tbody tr")
        assert [r.get_attribute("data-report") for r in rows] == [made["320612-week"].id,
                                                                  made["320612"].id]
        weekly = rows[0].text
        year, _, number = made["320612-week"].period.partition("-W")
        assert "通州区" in weekly and f"{year}年第{int(number)}周" in weekly and "周报" in weekly
        assert f"{made['320612-week'].kpis['reported']:,.0f}" in weekly
        text = rows[1].text
        assert "通州区" in text and f"{month.year}年{month.month}月" in text and "月报" in text
        assert f"{made['320612'].kpis['reported']:,.0f}" in text
        links = rows[1].find_elements(By.CSS_SELECTOR, "a.gc-report-link")
        assert [a.text for a in links] == ["Word", "PDF"]
        assert [a.text for a in rows[0].find_elements(By.CSS_SELECTOR, "a.gc-report-link")
                ] == ["Excel"]
        nav = [a.text for a in drv.find_elements(By.CSS_SELECTOR, ".gc-nav-link")]
        assert "通报" in nav
        # the link downloads through the browser's own session: fetch it from the page
        status = drv.execute_async_script(
            "const done = arguments[1];"
            "fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status,"
            " new Uint8Array(b.slice(0, 2))[0]])));",
            links[0].get_attribute("href"))
        assert status == [200, ord("P")]  # a docx is a zip: "PK"
        other = drv.execute_async_script(
            "const done = arguments[1]; fetch(arguments[0]).then(r => done(r.status));",
            url + f"/reports/file/{made['320613'].id}.docx")
        assert other == 404
        drv.save_screenshot(str(SCREENSHOTS / "reports.png"))
        severe = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"
                  and "404" not in e["message"]]
        assert not severe
