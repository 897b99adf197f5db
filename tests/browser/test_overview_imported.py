"""The overview of a store built from a city's own export, in headless Chromium.

The lakeport_311 fixture (a US 311 export of January to June 2024, tests/fixtures/realworld)
is imported with the README's commands, an account for its whole area is added with
``gridcmd user add``, and the wall is opened today: it shows the store as of its last
data day (30 June 2024) with non-zero cards and, as overdue, exactly the requests open
past their deadline at that moment, counted with pandas from the file (no false overdue),
then the same for a day picked in the URL.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import date, datetime, time

import pandas as pd
import pytest
from browser_support import (
    HAVE_BROWSER,
    NO_BROWSER,
    SCREENSHOTS,
    chromium,
    kpi_card_values,
    overdue_count,
    serving,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import create_app, ids
from dashboard.settings import Settings
from tests.e2e import expected as ex
from tests.e2e.test_realworld import ROOT, run_readme

pytestmark = pytest.mark.browser

USER, PASSWORD = "lakeport_chief", "Lakeport#Wall2024"
LAST_DAY = date(2024, 6, 30)
PICKED = date(2024, 4, 15)


@pytest.fixture(scope="module")
def lakeport_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("lakeport-wall") / "lakeport.duckdb"
    run_readme("lakeport_311", ex.LAKEPORT, store)
    auth = store.with_name("lakeport-auth.sqlite")
    # An imported store's whole area is 0001: the accounts of such a store are checked
    # against it (docs/ingest.md, GRIDCMD_CITY).
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRIDCMD_CITY="0001")
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "user", "--store", str(store), "--auth-db",
         str(auth), "add", USER, "--role", "leader", "--region", "0001", "--password-stdin"],
        input=PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return store, auth


@pytest.fixture(scope="module")
def wall(lakeport_store):
    store, auth = lakeport_store
    settings = Settings.load(store=store, demo_on_start=False, auth_db=str(auth), city="0001")
    with serving(create_app(settings)) as url:
        if not HAVE_BROWSER:
            pytest.skip(NO_BROWSER)
        with chromium() as d:
            d.get(f"{url}/login")
            d.find_element(By.ID, "username").send_keys(USER)
            d.find_element(By.ID, "password").send_keys(PASSWORD)
            d.find_element(By.ID, "login-submit").click()
            WebDriverWait(d, 20).until(lambda x: "/login" not in x.current_url)
            yield d, url


def _expectedoverdue_count(moment: datetime) -> int:
    """Requests loaded, not void, past their deadline and still open at ``moment``
    (pandas from the export and the city's own SLA list)."""
    df = ex.lakeport_requests()
    df = df[df["rule"].isna()]
    open_then = df["closed"].isna() | (df["closed"] > pd.Timestamp(moment))
    late = df["deadline"].notna() & (df["deadline"] < pd.Timestamp(moment))
    return int((~df["void"] & open_then & late).sum())


def _reported(first: date, last: date) -> int:
    df = ex.lakeport_requests()
    df = df[df["rule"].isna()]
    day = df["created"].dt.date
    return int(((day >= first) & (day <= last)).sum())


def _value(cards: dict[str, str], key: str) -> float:
    text = cards.get(key, "")
    return float(text) if text not in ("", None) else math.nan


def test_the_imported_store_is_shown_as_of_its_last_day(wall):
    d, url = wall
    d.get(url + "/")
    want_reported = _reported(date(2024, 6, 1), LAST_DAY)  # 近30天: 1–30 June
    WebDriverWait(d, 60).until(lambda x: _value(kpi_card_values(x), "reported") == want_reported)
    cards = kpi_card_values(d)
    assert want_reported > 0
    for key in ("close_rate", "ontime_rate"):
        assert _value(cards, key) > 0, (key, cards)
    # 311 has no 处置 step (no handled_at): the card says so ("–"), it does not show 0
    assert math.isnan(_value(cards, "avg_handle_hours")), cards
    banner = d.find_element(By.ID, ids.OVERVIEW_STALE_DIV)
    WebDriverWait(d, 20).until(lambda _: banner.is_displayed())
    assert "2024-06-30" in banner.text
    assert "未更新" not in d.find_element(By.TAG_NAME, "body").text
    # no false overdue: the open requests past their SLA at the end of 30 June 2024
    want = _expectedoverdue_count(datetime.combine(LAST_DAY, time.max))
    WebDriverWait(d, 30).until(lambda x: overdue_count(x) is not None)
    assert overdue_count(d) == want > 0
    assert want < _expectedoverdue_count(datetime.now())  # today would call more of them late
    # the league grades the wards from their data, not 样本不足 for all
    WebDriverWait(d, 30).until(lambda x: x.find_elements(
        By.CSS_SELECTOR, f"#{ids.OVERVIEW_LEAGUE_LIST} .gc-rank-row:not(.gc-rank-unranked)"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    d.execute_script("return new Promise(r => setTimeout(r, 800))")
    d.save_screenshot(str(SCREENSHOTS / "overview-imported-311.png"))
    assert [e for e in d.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_day_picked_in_the_url(wall):
    d, url = wall
    d.get(url + f"/?asof={PICKED.isoformat()}")
    want_reported = _reported(date(2024, 3, 17), PICKED)  # the 30 days ending on 15 April
    WebDriverWait(d, 60).until(lambda x: _value(kpi_card_values(x), "reported") == want_reported)
    want = _expectedoverdue_count(datetime.combine(PICKED, time.max))
    WebDriverWait(d, 30).until(lambda x: overdue_count(x) == want)
    assert PICKED.isoformat() in d.find_element(By.ID, ids.OVERVIEW_STALE_DIV).text
