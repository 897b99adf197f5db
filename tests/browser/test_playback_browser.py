"""The overview's time playback (态势回放) in headless Chromium: play replays the period day
by day in the browser (no request per frame), the frame shown (day, cards, the map's
colours) equals the server's frames and the raw rows, pause and scrub work, close puts the
map back; ``play=1`` replays on its own (the kiosk)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from browser_support import SCREENSHOTS
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard import overview_data as od
from dashboard import playback as pb
from dashboard.clock import store_now
from dashboard.kpi.scope import Scope
from layouts import overview as view

pytestmark = pytest.mark.browser
COUNTY = "320612"


def _text(drv, ident: str) -> str:
    return drv.find_element(By.ID, ident).text


def _fills(drv) -> Counter:
    """The fill colours of the regions layer's polygons as drawn."""
    return Counter(drv.execute_script(
        "return [...document.querySelectorAll('#" + ids.OVERVIEW_MAP
        + " path.leaflet-interactive')]"
        ".map(p => p.getAttribute('fill')).filter(f => f && f !== 'none');"))


_RECORD_CALLBACKS = """
window.__gcAsked = [];
const orig = window.fetch;
window.fetch = function (url, opts) {
  if (String(url).includes('_dash-update-component') && opts && opts.body) {
    try { window.__gcAsked.push(JSON.parse(opts.body).output); } catch (e) {}
  }
  return orig.apply(this, arguments);
};
"""


def _expected(demo, indicator: str = "incidents"):
    now = store_now(demo)
    v = od.view(demo, Scope("3206", "leader"), COUNTY)
    kids = od.units(demo, v)
    return view.playback_payload(pb.frames(demo, v, now, "30d", indicator, kids), indicator)


def _colors_at(payload, i: int) -> Counter:
    out = Counter()
    for row in payload["values"]:
        x = row[i]
        out[view.color_of(x, payload["breaks"], payload["colors"]) if x is not None
            else None] += 1
    out.pop(None, None)
    return out


def test_play_pause_scrub_and_close(driver, base_url, demo):
    driver.get_log("browser")
    driver.get(f"{base_url}/?region={COUNTY}&period=30d")
    WebDriverWait(driver, 60).until(lambda d: len(_fills(d)) > 0)
    before = _fills(driver)
    driver.find_element(By.ID, ids.PLAYBACK_PLAY_BUTTON).click()
    WebDriverWait(driver, 60).until(
        lambda d: d.find_element(By.ID, ids.PLAYBACK_BODY_DIV).is_displayed())
    first = _text(driver, ids.PLAYBACK_DAY_TEXT)
    WebDriverWait(driver, 20).until(lambda d: _text(d, ids.PLAYBACK_DAY_TEXT) != first)
    driver.find_element(By.ID, ids.PLAYBACK_PLAY_BUTTON).click()  # pause
    payload = _expected(demo)
    days = payload["days"]
    # record the outputs of every callback request from here on: the page's own timers
    # (the refresh interval, the clock) may call the server, playback must not
    driver.execute_script(_RECORD_CALLBACKS)
    # scrub with the keyboard: the slider (a range input) takes Home / End / arrows
    handle = driver.find_element(By.CSS_SELECTOR, f"#{ids.PLAYBACK_SLIDER} input")
    handle.send_keys(Keys.END)
    WebDriverWait(driver, 10).until(lambda d: _text(d, ids.PLAYBACK_DAY_TEXT) == days[-1])
    handle.send_keys(Keys.HOME)
    for _ in range(10):
        handle.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(driver, 10).until(lambda d: _text(d, ids.PLAYBACK_DAY_TEXT) == days[10])
    i = 10
    asked = driver.execute_script("return window.__gcAsked")
    assert [o for o in asked if "playback" in o] == []  # frames are stepped in the browser
    cards = {k: _text(driver, ids.PLAYBACK_CARD_TEXT.format(key=k)) for k in pb.CARD_KEYS}
    assert cards == {k: f"{int(payload['cards'][k]['values'][i]):,}" for k in pb.CARD_KEYS}
    # 当日上报 of that day, counted from the raw rows
    day = datetime.fromisoformat(days[i])
    raw = demo.execute("SELECT count(*) FROM incidents WHERE starts_with(grid_code, ?) AND "
                       "reported_at >= ? AND reported_at < ?",
                       [COUNTY, day, day + timedelta(days=1)]).fetchone()[0]
    assert cards["reported"] == f"{raw:,}"
    assert _fills(driver) == _colors_at(payload, i)
    assert "近7日" in _text(driver, ids.PLAYBACK_NOTE_TEXT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "overview-playback.png"))
    driver.find_element(By.ID, ids.PLAYBACK_CLOSE_BUTTON).click()
    WebDriverWait(driver, 10).until(
        lambda d: not d.find_element(By.ID, ids.PLAYBACK_BODY_DIV).is_displayed())
    WebDriverWait(driver, 10).until(lambda d: _fills(d) == before)
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_kiosk_replays_on_its_own(driver, base_url):
    driver.get(f"{base_url}/?region={COUNTY}&period=7d&play=1")
    WebDriverWait(driver, 60).until(
        lambda d: d.find_element(By.ID, ids.PLAYBACK_BODY_DIV).is_displayed())
    seen = set()
    WebDriverWait(driver, 30).until(
        lambda d: seen.add(_text(d, ids.PLAYBACK_DAY_TEXT)) or len(seen) >= 4)
    driver.save_screenshot(str(SCREENSHOTS / "overview-playback-kiosk.png"))


def test_hour_by_hour_replays_the_last_72_hours(driver, base_url, demo):
    """按时: the last 72 hours, hour by hour; the frame shown equals the server's hourly
    frames (the cards, the hour), the cards are named by the hour, no request per frame."""
    driver.get(f"{base_url}/?region={COUNTY}&period=30d")
    WebDriverWait(driver, 60).until(lambda d: len(_fills(d)) > 0)
    driver.find_element(By.CSS_SELECTOR, f"#{ids.PLAYBACK_STEP_RADIO} input[value='hour']"
                        ).click()
    driver.find_element(By.ID, ids.PLAYBACK_PLAY_BUTTON).click()
    WebDriverWait(driver, 60).until(
        lambda d: d.find_element(By.ID, ids.PLAYBACK_BODY_DIV).is_displayed())
    driver.find_element(By.ID, ids.PLAYBACK_PLAY_BUTTON).click()  # pause
    now = store_now(demo)
    v = od.view(demo, Scope("3206", "leader"), COUNTY)
    want = pb.hourly_frames(demo, v, now, od.units(demo, v))
    labels = [h.strftime("%m-%d %H:00") for h in want["days"]]
    driver.execute_script(_RECORD_CALLBACKS)
    handle = driver.find_element(By.CSS_SELECTOR, f"#{ids.PLAYBACK_SLIDER} input")
    handle.send_keys(Keys.HOME)
    for _ in range(30):
        handle.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(driver, 10).until(lambda d: _text(d, ids.PLAYBACK_DAY_TEXT) == labels[30])
    cards = {k: _text(driver, ids.PLAYBACK_CARD_TEXT.format(key=k)) for k in pb.CARD_KEYS}
    assert cards == {k: f"{int(want['cards'][k][30]):,}" for k in pb.CARD_KEYS}
    assert "小时" in _text(driver, ids.PLAYBACK_NOTE_TEXT)
    heads = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".gc-playback-card-label")]
    assert heads[:2] == ["该小时上报", "该小时结案"]
    asked = driver.execute_script("return window.__gcAsked")
    assert [o for o in asked if "playback" in o] == []
    driver.save_screenshot(str(SCREENSHOTS / "overview-playback-hours.png"))
    driver.find_element(By.ID, ids.PLAYBACK_CLOSE_BUTTON).click()
