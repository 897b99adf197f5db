"""A three-level city (district, precinct, grid) in headless Chromium: drill from the whole
area to a precinct's grids by clicking, the breadcrumb never showing the pass-through
village, and back up; no console errors."""

from __future__ import annotations

import duckdb
import pytest
from auth_helpers import login_browser
from browser_support import HAVE_BROWSER, NO_BROWSER, chromium, serving
from levels_helpers import AREA
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import create_app, ids
from dashboard.auth.store import AuthStore
from dashboard.settings import Settings

pytestmark = pytest.mark.browser

PASSWORD = "levels-browser-password-1"


@pytest.fixture(scope="module")
def tree(three_levels):
    """Names along a drill path: the district with the precinct of fewest grids."""
    with duckdb.connect(str(three_levels["path"]), read_only=True) as con:
        root = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL"
                           ).fetchone()[0]
        town, district = con.execute(
            "SELECT t.code, t.parent_code FROM regions t JOIN grids g "
            "ON starts_with(g.code, t.short_code) WHERE t.level = 'town' "
            "GROUP BY ALL ORDER BY count(*), t.code LIMIT 1").fetchone()
        names = dict(con.execute("SELECT code, name FROM regions").fetchall())
        kids = {code: {r[0] for r in con.execute(
            "SELECT name FROM regions WHERE parent_code = $c AND level <> 'village'",
            {"c": code}).fetchall()} for code in (root.ljust(12, "0"), district)}
        kids[town] = {r[0] for r in con.execute(
            "SELECT name FROM grids WHERE starts_with(code, $t)", {"t": town[:9]}).fetchall()}
    return {"root": root, "district": district, "town": town, "names": names, "kids": kids}


@pytest.fixture(scope="module")
def url3(three_levels, tree, tmp_path_factory):
    auth = tmp_path_factory.mktemp("levels-browser-auth") / "auth.sqlite"
    AuthStore(auth).add_user("leader3", "leader", tree["root"], PASSWORD, city=tree["root"])
    app = create_app(Settings.load(store=three_levels["path"], demo_on_start=False,
                                   auth_db=str(auth)))
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def drv(url3):
    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    with chromium() as driver:
        login_browser(driver, url3, "leader3", PASSWORD)
        yield driver


def _labels(d) -> set[str]:
    return set(d.execute_script(
        "return [...document.querySelectorAll('.gc-region-label .gc-label-name')]"
        ".map(e => e.textContent);"))


def _crumbs(d) -> list[str]:
    return d.execute_script(
        "return [...document.querySelectorAll('.gc-crumb')].map(e => e.textContent);")


def _wait(d, names: set[str], title: str) -> None:
    WebDriverWait(d, 30, poll_frequency=0.1).until(
        lambda d: _labels(d) == names
        and d.find_element(By.ID, ids.OVERVIEW_TITLE_TEXT).text.startswith(title))


def _click(d, name: str) -> None:
    label = d.find_element(
        By.XPATH, f"//div[contains(@class,'gc-region-label')]"
                  f"[.//div[@class='gc-label-name' and text()='{name}']]")
    ActionChains(d).move_to_element(label).click().perform()


def test_drill_area_district_precinct_grids_and_back(drv, url3, tree):
    names, kids = tree["names"], tree["kids"]
    root12 = tree["root"].ljust(12, "0")
    drv.get(url3 + "/")
    _wait(drv, kids[root12], AREA)
    assert _crumbs(drv) == [AREA]
    district, town = tree["district"], tree["town"]
    _click(drv, names[district])
    _wait(drv, kids[district], names[district])
    assert _crumbs(drv) == [AREA, names[district]]
    # a click on a precinct draws its grids: the pass-through village is stepped over
    _click(drv, names[town])
    _wait(drv, kids[town], names[town])
    assert _crumbs(drv) == [AREA, names[district], names[town]]
    WebDriverWait(drv, 20).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, f"#{ids.OVERVIEW_LEAGUE_LIST} li"))
    drv.execute_script("return new Promise(r => setTimeout(r, 400))")
    from browser_support import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(SCREENSHOTS / "levels-precinct.png"))
    # back to the district by the breadcrumb
    drv.find_elements(By.CSS_SELECTOR, ".gc-crumb")[1].click()
    _wait(drv, kids[district], names[district])
    assert [e for e in drv.get_log("browser") if e["level"] == "SEVERE"] == []
