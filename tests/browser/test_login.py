"""The login page in headless Chromium: Chinese, errors, the way in, and a clean CSP."""

from __future__ import annotations

import pytest
from auth_helpers import CITY_LEADER, DEMO_PASSWORDS, SCREEN, login_browser
from browser_support import (
    HAVE_BROWSER,
    NO_BROWSER,
    SCREENSHOTS,
    chromium,
    header_right_edge,
    serving,
)

from dashboard import create_app, ids

pytestmark = pytest.mark.browser
GRIDS_WORKER = ("grids_worker", DEMO_PASSWORDS["grids_worker"])

if not HAVE_BROWSER:
    pytest.skip(NO_BROWSER, allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def base_url(settings):
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def driver():
    with chromium() as drv:
        yield drv


def _csp_problems(drv) -> list[dict]:
    return [e for e in drv.get_log("browser")
            if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]


def test_unauthenticated_visit_lands_on_the_chinese_login_page(driver, base_url):
    driver.delete_all_cookies()
    driver.get(base_url + "/")
    WebDriverWait(driver, 10).until(lambda d: "/login" in d.current_url)
    body = driver.find_element(By.TAG_NAME, "body").text
    for text in ("网格指挥舱", "用户名", "密码", "登录", "演示环境"):
        assert text in body
    assert driver.title == "登录 · 网格指挥舱"
    # The CJK glyphs really render (a missing font draws them as empty boxes of one width).
    widths = driver.execute_script(
        "const c = document.createElement('canvas').getContext('2d');"
        "c.font = getComputedStyle(document.querySelector('h1')).font;"
        "return ['网', '格', 'W'].map(t => c.measureText(t).width);")
    assert widths[0] > 0 and widths[0] == widths[1]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "login.png"))
    assert _csp_problems(driver) == []


def test_wrong_password_shows_an_error(driver, base_url):
    driver.get(base_url + "/login")
    driver.find_element(By.ID, "username").send_keys(CITY_LEADER[0])
    driver.find_element(By.ID, "password").send_keys("not-the-password")
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".error"))
    assert "用户名或密码错误" in driver.find_element(By.CSS_SELECTOR, ".error").text
    assert "/login" in driver.current_url
    driver.save_screenshot(str(SCREENSHOTS / "login_error.png"))


def test_right_password_reaches_the_overview_under_the_csp(driver, base_url):
    driver.get_log("browser")  # drop what earlier pages logged
    login_browser(driver, base_url, *CITY_LEADER)
    assert driver.current_url == base_url + "/"
    WebDriverWait(driver, 30, poll_frequency=0.2).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) >= 8)
    csp = driver.execute_async_script(
        "const done = arguments[0];"
        "fetch('/', {credentials: 'same-origin'})"
        ".then(r => done(r.headers.get('content-security-policy')));")
    assert csp and "script-src 'self' 'sha256-" in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    # The session cookie is HttpOnly: scripts cannot read it.
    assert "gridcmd_session" not in driver.execute_script("return document.cookie")
    driver.execute_script("return new Promise(r => setTimeout(r, 1000))")
    driver.save_screenshot(str(SCREENSHOTS / "overview_after_login.png"))
    assert _csp_problems(driver) == []


def test_logout_ends_the_session(driver, base_url):
    driver.get(base_url + "/logout")
    driver.find_element(By.ID, "logout-submit").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" in d.current_url)
    driver.get(base_url + "/")
    WebDriverWait(driver, 10).until(lambda d: "/login" in d.current_url)


def test_screen_account_sees_the_overview_only(driver, base_url):
    login_browser(driver, base_url, *SCREEN)
    WebDriverWait(driver, 30, poll_frequency=0.2).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) >= 8)
    assert _csp_problems(driver) == []
    driver.get(base_url + "/admin/audit")
    assert "无权访问" in driver.find_element(By.TAG_NAME, "body").text
    problems = [e for e in _csp_problems(driver) if "/admin/audit" not in e["message"]]
    assert problems == []  # the refused page itself is the only error


def test_a_worker_with_two_grids_switches_in_the_header(driver, base_url, demo):
    driver.get(base_url + "/logout")
    driver.find_element(By.ID, "logout-submit").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" in d.current_url)
    login_browser(driver, base_url, *GRIDS_WORKER)
    assert driver.current_url == base_url + "/mygrid"  # a grid worker lands on 我的网格
    driver.get(base_url + "/")  # the full dashboard, one area at a time
    first, second = (r[0] for r in demo.execute(
        "SELECT name FROM grids WHERE code IN ('320612001001002', '320612001001003') "
        "ORDER BY code").fetchall())

    def title(d):
        return d.find_element(By.ID, ids.OVERVIEW_TITLE_TEXT).text

    WebDriverWait(driver, 30, poll_frequency=0.2).until(lambda d: title(d).startswith(first))
    menu = driver.find_element(By.ID, ids.SHELL_AREA_MENU)
    assert menu.find_element(By.TAG_NAME, "summary").text.startswith(first)
    menu.find_element(By.TAG_NAME, "summary").click()
    links = menu.find_elements(By.CSS_SELECTOR, "a.gc-area-link")
    assert [a.text for a in links] == [first, second]
    assert all(a.is_displayed() for a in links)
    assert "网格员" in menu.find_element(By.CLASS_NAME, "gc-area-user").text
    # Nothing in the header passes the right edge (the clock included).
    right, width = header_right_edge(driver)
    assert right <= width + 1
    driver.save_screenshot(str(SCREENSHOTS / "area_menu.png"))
    links[1].click()
    WebDriverWait(driver, 30, poll_frequency=0.2).until(lambda d: title(d).startswith(second))
    summary = driver.find_element(By.CSS_SELECTOR, f"#{ids.SHELL_AREA_MENU} summary")
    assert summary.text.startswith(second)
    # The area cookie is HttpOnly too.
    assert "gridcmd_area" not in driver.execute_script("return document.cookie")
    assert _csp_problems(driver) == []
