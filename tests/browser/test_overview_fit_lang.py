"""The overview at 1920×1080 in English and Chinese: the alert counter tiles' labels sit on
one line, every listed alert row lies inside its list's visible box, and the English live
feed reads the store's English names (category, source) where the store has them.

Served on a copy of the demo with seven overdue cases planted, so the list is full (seven
rows) at any hour: the session demo ends when it is built, and at some hours it has fewer
than seven alert items (at ``GRIDCMD_TEST_DEMO_END=2026-12-06T00:30`` seven, six of them
sensor alerts; in one CI run six)."""

from __future__ import annotations

import re

import duckdb
import pytest
from browser_support import SCREENSHOTS
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.settings import Settings
from tests.surge_helpers import plant_overdue
from tests.unit.ingest_helpers import copy_store

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def full(demo_store, tmp_path_factory):
    """A copy of the demo store with seven overdue cases in its first county."""
    path = copy_store(demo_store, tmp_path_factory.mktemp("fit"), "fit.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        county, = con.execute(
            "SELECT min(short_code) FROM regions WHERE level = 'county'").fetchone()
    plant_overdue(path, county, n=7)
    return path


@pytest.fixture(scope="module")
def settings(full, auth_db) -> Settings:
    """This module's app serves the full copy (the browser fixtures read ``settings``)."""
    return Settings.load(store=full, demo_on_start=False, auth_db=str(auth_db))


@pytest.fixture(scope="module")
def served(full):
    con = duckdb.connect(str(full), read_only=True)
    yield con
    con.close()


def _open(drv, base_url: str, lang: str) -> None:
    """The overview in ``lang`` (the /lang route sets the cookie), its panels drawn."""
    drv.get(base_url + f"/lang/{lang}")
    WebDriverWait(drv, 60, poll_frequency=0.2).until(lambda d: d.execute_script(
        "return document.querySelectorAll('#overview-alert-list > li').length > 0"
        " && document.querySelectorAll('#overview-feed-list > li.gc-feed-row').length > 0"
        " && document.querySelectorAll('.gc-alert-count').length === 5"
        " && document.querySelectorAll('.gc-kpi').length > 0"))
    drv.execute_script("return new Promise(r => setTimeout(r, 600))")


@pytest.fixture(scope="module", params=["en", "zh"])
def page(request, driver, base_url):
    lang = request.param
    _open(driver, base_url, lang)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"overview-fit-{lang}.png"))
    yield lang
    driver.get(base_url + "/lang/zh")


def test_every_tile_label_sits_on_one_line(driver, page):
    labels = driver.execute_script("""
        return [...document.querySelectorAll('.gc-alert-count .gc-alert-label')].map(e => {
            const cs = getComputedStyle(e);
            let line = parseFloat(cs.lineHeight);
            if (isNaN(line)) {  // 'normal': measure one line of the same font
                const probe = document.createElement('span');
                probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;'
                    + 'display:block;font:' + cs.font + ';letter-spacing:'
                    + cs.letterSpacing + ';line-height:' + cs.lineHeight;
                probe.textContent = 'Ag隐';
                document.body.appendChild(probe);
                line = probe.getBoundingClientRect().height;
                probe.remove();
            }
            return [e.textContent, e.getBoundingClientRect().height, line,
                    e.scrollWidth, e.clientWidth];
        });""")
    assert len(labels) == 5, labels
    for text, height, line, scroll_w, client_w in labels:
        assert text.strip(), labels
        assert abs(height - line) < 1, (page, text, height, line)  # one line, not two
        assert scroll_w <= client_w + 1, (page, text, scroll_w, client_w)  # not cut


def test_every_listed_alert_row_is_inside_the_visible_list(driver, page):
    rows = driver.execute_script("""
        const list = document.getElementById(arguments[0]);
        let box = list;  // the nearest box that clips: the list itself (overflow hidden)
        while (box && getComputedStyle(box).overflowY === 'visible') box = box.parentElement;
        const b = box.getBoundingClientRect();
        const l = list.getBoundingClientRect();
        return [...list.querySelectorAll(':scope > li.gc-alert-row')].map(li => {
            const r = li.getBoundingClientRect();
            return [li.textContent, r.top >= b.top - 1 && r.bottom <= b.bottom + 1
                    && r.left >= b.left - 1 && r.right <= b.right + 1
                    && r.top >= l.top - 1 && r.bottom <= l.bottom + 1
                    && r.left >= l.left - 1 && r.right <= l.right + 1 && r.height > 0];
        });""", ids.OVERVIEW_ALERT_LIST)
    assert len(rows) == 7, rows  # the store has more than seven items: the list's seven
    cut = [text for text, inside in rows if not inside]
    assert cut == [], (page, cut)


def _feed_rows(driver) -> list[dict]:
    return driver.execute_script("""
        return [...document.querySelectorAll('#overview-feed-list > li.gc-feed-row')]
            .map(li => ({id: li.dataset.id,
                         cat: li.querySelector('.gc-feed-cat').textContent,
                         status: li.querySelector('.gc-feed-status').textContent,
                         source: li.querySelector('.gc-feed-source').textContent}));""")


def test_the_feed_reads_the_store_s_names_in_the_page_s_language(driver, page, served):
    rows = _feed_rows(driver)
    assert rows
    for row in rows:
        minor, name_en, source, source_en = served.execute(
            "SELECT c.minor_name, c.name_en, i.source, x.name_en FROM incidents AS i "
            "JOIN categories AS c ON c.code = i.category_code "
            "LEFT JOIN taxonomy AS x ON x.field = 'incident_source' AND x.code = i.source "
            "WHERE i.id = ?", [int(row["id"])]).fetchone()
        if page == "zh":
            assert (row["cat"], row["source"]) == (minor, source), row
            continue
        assert row["cat"] == (name_en or minor), row
        assert row["source"] == (source_en or source), row
        for key, has_en in (("cat", name_en), ("source", source_en), ("status", True)):
            if has_en:
                assert not CJK.search(row[key]), (key, row)
