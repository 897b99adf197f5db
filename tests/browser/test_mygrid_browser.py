"""我的网格 in headless Chromium at a phone's 390×844: the page as the grid worker sees it
(numbers equal to the data layer's at the page's own moment), the quick-report form end to
end (category, map tap or GPS, text, photo) into the store and the village's overview feed.
Screenshots go to tests/browser/screenshots/mygrid-*.png."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
from auth_helpers import DEMO_PASSWORDS, login_browser
from browser_support import HAVE_BROWSER, NO_BROWSER, SCREENSHOTS, chromium, resize, serving
from mygrid_helpers import page_moment, visit_village

from dashboard import create_app
from dashboard import mygrid_data as M
from dashboard.auth.demo import seed_demo_users
from dashboard.auth.store import AuthStore
from dashboard.kpi.scope import Scope
from dashboard.settings import Settings
from tests.unit.ingest_helpers import copy_store

pytestmark = pytest.mark.browser
PHONE = (390, 844)
OWN = "320612001001001"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6300010000050001"
                    "0d0a2db40000000049454e44ae426082")


@pytest.fixture(scope="module")
def served(demo_store, tmp_path_factory):
    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    folder = tmp_path_factory.mktemp("mygrid-browser")
    path = copy_store(demo_store, folder)
    auth_db = folder / "auth.sqlite"
    seed_demo_users(AuthStore(auth_db))
    app = create_app(Settings.load(store=path, demo_on_start=False, auth_db=str(auth_db),
                                   intake_token="browser-token"))
    with serving(app) as url:
        yield app, url
    app.server.extensions["gridcmd_store"].close()


@pytest.fixture(scope="module")
def phone(served):
    with chromium(*PHONE) as drv:
        yield drv


def _login(drv, url, user, password=None):
    drv.delete_all_cookies()
    login_browser(drv, url, user, password or DEMO_PASSWORDS[user])
    _loaded(drv)


def _loaded(drv):
    """Wait for the load event: the deferred script has wired the buttons by then."""
    _wait(drv, lambda: drv.execute_script("return document.readyState") == "complete")


def _errors(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def _shot(drv, name: str, full: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if full:
        height = drv.execute_script("return document.documentElement.scrollHeight")
        resize(drv, PHONE[0], height)
    drv.save_screenshot(str(SCREENSHOTS / f"mygrid-{name}.png"))
    if full:
        resize(drv, *PHONE)


def _fill_and_send(drv, text: str, photo=None) -> None:
    """The quick-report form: category S0101, ``text``, the PNG written to ``photo``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(drv.find_element(By.NAME, "category")).select_by_value("S0101")
    drv.find_element(By.NAME, "text").send_keys(text)
    if photo is not None:
        photo.write_bytes(PNG)
        drv.find_element(By.NAME, "photo").send_keys(str(photo))
    drv.find_element(By.ID, "mg-send").click()


def _wait(drv, condition, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.parametrize("user, areas", [("grid_worker", (OWN,)),
                                         ("grids_worker", ("320612001001002",
                                                           "320612001001003"))])
def test_the_page_at_phone_size_shows_the_data_layers_numbers(served, phone, user, areas):
    app, url = served
    _login(phone, url, user)
    assert phone.current_url == f"{url}/mygrid"
    moment = datetime.fromisoformat(phone.execute_script(
        "return document.querySelector('time').getAttribute('datetime')"))
    con = app.server.extensions["gridcmd_store"].cursor()
    want = M.tasks(con, [Scope(a, "grid_worker") for a in areas], moment)["totals"]
    shown = phone.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('.mg-sec summary b')]"
        ".map(b => [b.closest('details').id, +b.dataset.count]))")
    assert shown == {"mg-visits": want["visits"], "mg-cases": want["cases"],
                     "mg-hazards": want["hazards"], "mg-alerts": want["alerts"]}
    chips = phone.execute_script(
        "return [...document.querySelectorAll('.mg-chip b')].map(b => +b.textContent)")
    assert chips == [want["visits"], want["cases"], want["hazards"], want["alerts"]]
    # it fits the phone: nothing wider than the screen, the map drawn, one path per grid
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0]
    grids = phone.execute_script(
        "return [...document.querySelectorAll('#mg-map path')].map(p => p.dataset.grid)")
    assert grids == list(areas)
    assert _errors(phone) == []
    _shot(phone, user)
    _shot(phone, f"{user}-full", full=True)


def test_quick_report_from_the_phone_reaches_the_village_feed(served, phone, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    app, url = served
    _login(phone, url, "grid_worker")
    con = app.server.extensions["gridcmd_store"].cursor()
    lon, lat = con.execute("SELECT lon, lat FROM grids WHERE code = $g", {"g": OWN}).fetchone()
    # GPS: the browser's position (emulated) moves the pin and the form's point
    phone.execute_cdp_cmd("Browser.grantPermissions",
                          {"origin": url, "permissions": ["geolocation"]})
    phone.execute_cdp_cmd("Emulation.setGeolocationOverride",
                          {"latitude": lat + 0.0001, "longitude": lon + 0.0001, "accuracy": 5})
    phone.find_element(By.ID, "mg-gps").click()
    _wait(phone, lambda: "GPS" in phone.find_element(By.ID, "mg-where").text)
    got = phone.execute_script("return [+document.querySelector('[name=lon]').value,"
                               " +document.querySelector('[name=lat]').value]")
    assert got == pytest.approx([lon + 0.0001, lat + 0.0001], abs=1e-6)
    # a tap on the map at the pin sets the point there (within a pixel of the map)
    pin = phone.find_element(By.ID, "mg-pin")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", pin)
    ActionChains(phone).move_to_element(pin).click().perform()
    _wait(phone, lambda: "地图选点" in phone.find_element(By.ID, "mg-where").text)
    tapped = phone.execute_script("return [+document.querySelector('[name=lon]').value,"
                                  " +document.querySelector('[name=lat]').value]")
    assert tapped == pytest.approx([lon + 0.0001, lat + 0.0001], abs=2e-4)
    # the rest of the form
    _fill_and_send(phone, "楼道堆物，影响通行（浏览器测试）", tmp_path / "photo.png")
    status = _wait(phone, lambda: re.search(r"案件编号 (MG\w+)", phone.find_element(
        By.ID, "mg-status").text))
    case_no = status.group(1)
    _shot(phone, "reported")
    row = con.execute("SELECT id, grid_code, source FROM incidents WHERE case_no = $c",
                      {"c": case_no}).fetchall()
    assert len(row) == 1 and row[0][1:] == (OWN, M.REPORT_SOURCE)
    case_id = row[0][0]
    # the worker's page lists it among the open cases after a reload
    phone.get(f"{url}/mygrid")
    _loaded(phone)
    assert phone.find_elements(By.CSS_SELECTOR, f'[data-case="{case_no}"]')
    assert _errors(phone) == []
    # the village analyst's overview feed shows it (at the wall's size)
    _login(phone, url, "village_analyst")
    resize(phone, 1920, 1080)
    try:
        _wait(phone, lambda: phone.find_elements(
            By.CSS_SELECTOR, f'.gc-feed-row[data-id="{case_id}"]'), timeout=40)
        phone.save_screenshot(str(SCREENSHOTS / "mygrid-village-feed.png"))
        # the workbench's case panel shows the worker's words and the photo
        from dashboard import ids

        phone.get(f"{url}/cases?period=7d&region={OWN[:12]}")
        cell = _wait(phone, lambda: [td for td in phone.find_elements(
            By.CSS_SELECTOR, f"#{ids.CASES_TABLE} tbody td") if td.text == case_no], timeout=40)
        cell[0].click()
        panel = phone.find_element(By.ID, ids.CASES_DETAIL_DIV)
        _wait(phone, lambda: "楼道堆物，影响通行（浏览器测试）" in panel.text)
        _wait(phone, lambda: phone.execute_script(
            "const i = document.querySelector('.gc-case-photo');"
            "return i && i.complete && i.naturalWidth === 1"))
        phone.save_screenshot(str(SCREENSHOTS / "mygrid-case-panel.png"))
    finally:
        resize(phone, *PHONE)


def test_a_cleared_village_worker_opens_one_persons_clear_values(served, phone):
    """A grid worker whose area is a whole village (one with visits to make now), with
    clearance: the visit list is
    masked; 查看 shows that one person's name and phone (audited detail endpoint). At the
    smallest phone (360×640) and a tablet (800×1280)."""
    from selenium.webdriver.common.by import By

    app, url = served
    from dashboard.auth.store import AuthStore

    settings = app.server.config["GRIDCMD_SETTINGS"]
    con = app.server.extensions["gridcmd_store"].cursor()
    village = visit_village(con, page_moment(con))
    AuthStore(settings.auth_db).add_user("gw_village_b", "grid_worker", village,
                                         DEMO_PASSWORDS["grid_worker"], city="3206", pii=True)
    resize(phone, 360, 640)
    phone.get_log("browser")  # this test's own console lines only
    try:
        _login(phone, url, "gw_village_b", DEMO_PASSWORDS["grid_worker"])
        buttons = phone.find_elements(By.CSS_SELECTOR, ".mg-clear")
        assert buttons, "no visit due in the village at this moment: nothing to check"
        item = buttons[0].find_element(By.XPATH, "ancestor::li")
        masked = item.find_element(By.CLASS_NAME, "mg-name").text
        assert "*" in masked
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", buttons[0])
        buttons[0].click()
        link = _wait(phone, lambda: item.find_elements(By.CSS_SELECTOR, ".mg-phone a"))
        assert re.fullmatch(r"1[0-9]{10}", link[0].text)
        clear = item.find_element(By.CLASS_NAME, "mg-name").text
        assert "*" not in clear and clear[0] == masked[0]
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
        assert _errors(phone) == []
        phone.save_screenshot(str(SCREENSHOTS / "mygrid-360-cleared.png"))
        resize(phone, 800, 1280)
        phone.get(f"{url}/mygrid")
        _loaded(phone)
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 800
        phone.save_screenshot(str(SCREENSHOTS / "mygrid-tablet.png"))
    finally:
        resize(phone, *PHONE)


def test_a_report_made_offline_waits_with_its_photo_and_is_sent_when_online(served, phone,
                                                                          tmp_path):
    """Offline (Chromium's network emulation), the report and its photo wait in IndexedDB;
    back online, the page sends them once: one case, the photo kept beside the store."""
    import hashlib
    import json as _json
    from pathlib import Path

    from selenium.webdriver.common.by import By

    app, url = served
    _login(phone, url, "grid_worker")
    phone.get_log("browser")
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1,
               "uploadThroughput": -1}
    phone.execute_cdp_cmd("Network.enable", {})
    phone.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        _wait(phone, lambda: phone.execute_script("return navigator.onLine === false"))
        _fill_and_send(phone, "离线上报：消防通道堵塞（浏览器测试）", tmp_path / "offline.png")
        _wait(phone, lambda: "已保存" in phone.find_element(By.ID, "mg-status").text)
        assert "照片未保存" not in phone.find_element(By.ID, "mg-status").text
        waiting = phone.execute_async_script("""
            const done = arguments[0];
            const req = indexedDB.open('mygrid', 1);
            req.onsuccess = () => {
              const all = req.result.transaction('queue').objectStore('queue').getAll();
              all.onsuccess = () => done(all.result.map(
                r => [r.client_id, r.text, r.photo ? r.photo.size : 0]));
            };""")
        assert len(waiting) == 1 and waiting[0][1].startswith("离线上报") \
            and waiting[0][2] == len(PNG)
        _shot(phone, "offline-queued")
    finally:
        phone.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
    status = _wait(phone, lambda: re.search(r"离线上报已发送：(MG\w+)", phone.find_element(
        By.ID, "mg-status").text), timeout=40)
    case_no = status.group(1)
    con = app.server.extensions["gridcmd_store"].cursor()
    rows = con.execute("SELECT grid_code FROM incidents WHERE case_no = $c",
                       {"c": case_no}).fetchall()
    assert rows == [(OWN,)]
    store = Path(app.server.config["GRIDCMD_SETTINGS"].store)
    note = _json.loads((store.with_name(store.name + ".notes") / f"{case_no}.json")
                       .read_text(encoding="utf-8"))
    sha = hashlib.sha256(PNG).hexdigest()
    assert note["photo"] == f"{sha}.png" and note["text"].startswith("离线上报")
    assert (store.with_name(store.name + ".photos") / f"{sha}.png").read_bytes() == PNG
    left = phone.execute_async_script("""
        const done = arguments[0];
        const req = indexedDB.open('mygrid', 1);
        req.onsuccess = () => {
          const n = req.result.transaction('queue').objectStore('queue').count();
          n.onsuccess = () => done(n.result);
        };""")
    assert left == 0
    _shot(phone, "offline-sent")


def test_without_the_server_the_page_opens_as_its_offline_copy(demo_store, tmp_path):
    """The service worker keeps the form for the session: with the server gone (its own app,
    stopped), a visit to /mygrid shows the offline copy (the form and the grid outline, no
    task list), and a report written there waits in the queue."""
    from selenium.webdriver.common.by import By

    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    path = copy_store(demo_store, tmp_path)
    auth_db = tmp_path / "auth.sqlite"
    seed_demo_users(AuthStore(auth_db))
    app = create_app(Settings.load(store=path, demo_on_start=False, auth_db=str(auth_db),
                                   intake_token="browser-token"))
    with chromium(*PHONE) as drv:
        with serving(app) as url:
            _login(drv, url, "grid_worker")
            assert drv.find_elements(By.CSS_SELECTOR, "#mg-cases")
            # installed, controlling the page, the offline copy in its cache
            _wait(drv, lambda: drv.execute_async_script("""
                const done = arguments[0];
                if (!navigator.serviceWorker.controller) { done(false); return; }
                caches.open('mygrid-v1').then(c => c.match('/mygrid/offline'))
                  .then(r => done(!!r));"""), timeout=30)
        app.server.extensions["gridcmd_store"].close()
        drv.get(f"{url}/mygrid")
        _loaded(drv)
        assert drv.find_element(By.ID, "mg-shell").text.startswith("离线副本")
        assert not drv.find_elements(By.CSS_SELECTOR, "#mg-cases, #mg-visits, .mg-item")
        assert drv.find_elements(By.CSS_SELECTOR, "#mg-map path")  # the grid outline
        _fill_and_send(drv, "无网络时填写的上报")
        _wait(drv, lambda: "已保存" in drv.find_element(By.ID, "mg-status").text)
        _shot(drv, "offline-copy")
