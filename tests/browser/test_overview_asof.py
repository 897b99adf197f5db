"""The overview of a store whose data ended on 30 June 2016, in headless Chromium.

Opened today, the wall shows the store as of its last data day (cards from its data, a
banner "数据截至 2016-06-30（历史数据，非实时）", no false overdue); a day and a period
picked in the URL (or with the controls) change every figure, and stay in the URL.
"""

from __future__ import annotations

from datetime import date, datetime, time

import duckdb
import pytest
from auth_helpers import CITY_LEADER, login_browser
from browser_support import (
    HAVE_BROWSER,
    NO_BROWSER,
    SCREENSHOTS,
    cards_match,
    chromium,
    kpi_card_values,
    overdue_count,
    resize,
    serving,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import create_app, ids
from dashboard import overview_data as od
from dashboard.kpi.scope import Scope

pytestmark = pytest.mark.browser

CITY = Scope("3206", "leader")
END = datetime.combine(date(2016, 6, 30), time.max)
PICKED = datetime.combine(date(2016, 3, 31), time.max)


@pytest.fixture(scope="module")
def past_url(past_settings):
    with serving(create_app(past_settings)) as url:
        yield url


@pytest.fixture(scope="module")
def drv(past_url):
    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    with chromium() as d:
        login_browser(d, past_url, *CITY_LEADER)
        yield d


@pytest.fixture(scope="module")
def con(past_store):
    c = duckdb.connect(str(past_store), read_only=True)
    yield c
    c.close()


def _open_alerts(con, moment: datetime) -> int:
    """Cases open and past their deadline at ``moment``, counted with pandas."""
    inc = con.execute("SELECT * FROM incidents").df()
    overdue = (~inc["is_void"] & (inc["deadline_at"] < moment) & (inc["registered_at"] <= moment)
               & (inc["closed_at"].isna() | (inc["closed_at"] > moment)))
    return int(overdue.sum())


def _shot(d, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    d.execute_script("return new Promise(r => setTimeout(r, 500))")
    d.save_screenshot(str(SCREENSHOTS / name))


def _no_scrollbars(d) -> None:
    w, h, sw, sh = d.execute_script(
        "const e = document.documentElement;"
        "return [innerWidth, innerHeight, e.scrollWidth, e.scrollHeight];")
    assert sw <= w and sh <= h
    bottoms = d.execute_script(
        "return [...document.querySelectorAll('.gc-card, .gc-map-panel')]"
        ".map(e => e.getBoundingClientRect().bottom);")
    assert max(bottoms) <= h + 1


def _fitted(d) -> bool:
    """The units fill a good part of the map's width (the map was fitted to the region,
    not left at its initial view)."""
    return d.execute_script(
        "const r = [...document.querySelectorAll("
        "'#overview-map-container path.leaflet-interactive')].map(e => e.getBoundingClientRect());"
        "const m = document.querySelector('.gc-map-panel').getBoundingClientRect();"
        "return r.length > 0 && (Math.max(...r.map(x => x.right)) - "
        "Math.min(...r.map(x => x.left))) > 0.5 * m.width;")


def test_the_wall_shows_the_last_data_day(drv, past_url, con):
    drv.get(past_url + "/")
    expected = od.cards(con, CITY, END)
    WebDriverWait(drv, 40).until(lambda d: cards_match(kpi_card_values(d), expected))
    values = {c["key"]: c["value"] for c in expected}
    assert values["reported"] > 0 and values["today"] > 0 and values["close_rate"] > 0.5
    banner = drv.find_element(By.ID, ids.OVERVIEW_STALE_DIV)
    WebDriverWait(drv, 20).until(lambda _: banner.is_displayed())
    assert banner.text == "数据截至 2016-06-30（历史数据，非实时）"
    assert "未更新" not in drv.find_element(By.TAG_NAME, "body").text
    # the banner stands clear of the playback controls below it (it used to sit on them)
    box = drv.execute_script(
        "return [arguments[0], arguments[1]].map(e => e.getBoundingClientRect())"
        ".map(r => [r.top, r.bottom]);", banner,
        drv.find_element(By.ID, ids.PLAYBACK_PLAY_BUTTON))
    assert box[0][1] <= box[1][0], box
    # no false overdue: the counter is the cases open and past deadline at the as-of moment
    WebDriverWait(drv, 20).until(lambda d: overdue_count(d) is not None)
    assert overdue_count(drv) == _open_alerts(con, END)
    assert overdue_count(drv) < _open_alerts(con, datetime.now())
    # the league ranks units: not all 样本不足
    WebDriverWait(drv, 20).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, f"#{ids.OVERVIEW_LEAGUE_LIST} .gc-rank-row:not(.gc-rank-unranked)"))
    # the picker shows the day in force (its input carries the component's id in Dash 4)
    WebDriverWait(drv, 20).until(lambda d: d.execute_script(
        "const e = document.getElementById(arguments[0]);"
        "const i = e && (e.tagName === 'INPUT' ? e : e.querySelector('input'));"
        "return i && i.placeholder;", ids.OVERVIEW_ASOF_PICKER) == "2016-06-30")
    WebDriverWait(drv, 20).until(_fitted)
    _no_scrollbars(drv)
    _shot(drv, "overview-asof.png")
    assert [e for e in drv.get_log("browser") if e["level"] == "SEVERE"] == []


def test_another_day_and_period_from_the_url(drv, past_url, con):
    drv.get(past_url + "/?asof=2016-03-31&period=month")
    expected = od.cards(con, CITY, PICKED, period="month")
    WebDriverWait(drv, 40).until(lambda d: cards_match(kpi_card_values(d), expected))
    default = od.cards(con, CITY, END)
    assert [c["value"] for c in expected] != [c["value"] for c in default]
    WebDriverWait(drv, 20).until(lambda d: overdue_count(d) == _open_alerts(con, PICKED))
    banner = drv.find_element(By.ID, ids.OVERVIEW_STALE_DIV)
    assert banner.text == "查看 2016-03-31 时点数据（非实时）"
    assert drv.find_element(By.ID, ids.OVERVIEW_CARDS_TITLE).text == "核心指标 · 本月"
    subtitle = drv.find_element(By.ID, ids.OVERVIEW_PERIOD_TEXT).text
    assert subtitle.startswith("本月 2016-03-01 至 2016-03-31")
    _no_scrollbars(drv)
    _shot(drv, "overview-asof-picked.png")


def test_the_period_control_changes_the_figures_and_the_url(drv, past_url, con):
    drv.get(past_url + "/?asof=2016-03-31&period=month")
    WebDriverWait(drv, 40).until(
        lambda d: cards_match(kpi_card_values(d), od.cards(con, CITY, PICKED, period="month")))
    drv.find_element(By.XPATH, f"//*[@id='{ids.OVERVIEW_PERIOD_RADIO}']"
                               "//label[contains(., '本季度')]").click()
    expected = od.cards(con, CITY, PICKED, period="quarter")
    WebDriverWait(drv, 30).until(lambda d: cards_match(kpi_card_values(d), expected))
    WebDriverWait(drv, 10).until(lambda d: "period=quarter" in d.current_url)
    assert "asof=2016-03-31" in drv.current_url
    # a reload keeps the choice
    drv.refresh()
    WebDriverWait(drv, 40).until(lambda d: cards_match(kpi_card_values(d), expected))


@pytest.mark.parametrize("width, height, name", [
    (1366, 768, "overview-asof-laptop.png"), (3840, 2160, "overview-asof-4k.png")])
def test_the_controls_fit_other_screens(drv, past_url, width, height, name):
    resize(drv, width, height)
    try:
        drv.get(past_url + "/?period=90d")
        WebDriverWait(drv, 40).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".gc-kpi")) == len(od.CARD_KEYS))
        WebDriverWait(drv, 20).until(lambda d: d.find_element(
            By.ID, ids.OVERVIEW_STALE_DIV).is_displayed())
        WebDriverWait(drv, 20).until(_fitted)
        _no_scrollbars(drv)
        # the controls stay inside the map panel
        panel = drv.find_element(By.CSS_SELECTOR, ".gc-map-panel").rect
        bar = drv.find_element(By.CSS_SELECTOR, ".gc-asof-bar").rect
        assert bar["x"] + bar["width"] <= panel["x"] + panel["width"] + 1
        _shot(drv, name)
    finally:
        from browser_support import HEIGHT, WIDTH

        resize(drv, WIDTH, HEIGHT)
