"""Analysis pages in English in headless Chromium: the tab title, the card titles, the KPI
strip and the chart labels read in English, the text a reader sees carries no Chinese but
the store's own names (regions, grids, departments, key persons' masked names: no English
names in the store; the at-risk model's stored reasons are worded in English since
migration 020), and the Chinese page is unchanged. Screenshots: analysis-en-<page>.png
(the six thematic pages) and analysis-zh-timeliness.png."""

from __future__ import annotations

import re

import pytest
from browser_support import SCREENSHOTS
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.i18n import t
from dashboard.privacy import mask_name
from layouts.thematic import PAGES

pytestmark = pytest.mark.browser
SEARCH = "?period=year&region=320612"
CJK = re.compile(r"[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
BY_KEY = {p.key: p for p in PAGES}


def _severe(drv) -> list:
    return [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def _shot(drv, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drv.execute_script("return new Promise(r => setTimeout(r, 800))")
    drv.save_screenshot(str(SCREENSHOTS / name))


def _store_names(demo) -> list[str]:
    """The store's names without English ones (longest first). The stored at-risk reasons
    are not among them: they are worded in English at read time (migration 020)."""
    names = set()
    for sql in ("SELECT name FROM regions", "SELECT name FROM grids",
                "SELECT name FROM departments"):
        names.update(r[0] for r in demo.execute(sql).fetchall())
    pii = demo.execute("SELECT name FROM key_person_pii").fetchall()
    names.update(mask_name(r[0]) for r in pii)  # the person list shows them masked
    return sorted(names, key=len, reverse=True)


def _open(drv, base_url, key: str) -> list[str]:
    """Open page ``key`` and wait for its callback; the card titles shown."""
    page = BY_KEY[key]
    drv.get(base_url + page.path + SEARCH)
    WebDriverWait(drv, 40).until(lambda d: d.find_element(
        By.ID, ids.page_id(key, "total", "text")).text.strip())
    graphs = [p for p in page.panels if p.kind == "graph"]
    WebDriverWait(drv, 30).until(lambda d: len(d.find_elements(
        By.CSS_SELECTOR, ".gc-analysis-grid .js-plotly-plot .main-svg")) >= len(graphs))
    WebDriverWait(drv, 20).until(lambda d: len(d.find_elements(
        By.CSS_SELECTOR, ".gc-akpi")) == len(page.kpis))
    return [h.text for h in drv.find_elements(By.CSS_SELECTOR, ".gc-analysis-grid .gc-card h2")]


CUT_HEADS = """
return [...document.querySelectorAll('.gc-analysis-grid .gc-card-head')].flatMap(head => {
    const card = head.closest('.gc-card').getBoundingClientRect();
    return [...head.children].filter(e => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && (r.right > card.right - 1 || r.left < card.left + 1
                               || e.scrollWidth > e.clientWidth + 1);
    }).map(e => e.textContent);
});"""


def _cut_heads(drv) -> list[str]:
    """The card titles and head notes of the page that reach past their card's edge or are
    cut inside their own box (the page hides overflow: the 时效 page's risk note used to be
    cut off at the right in English at 1920×1080)."""
    return drv.execute_script(CUT_HEADS)


def _visible_chinese(drv, allowed: list[str]) -> list[str]:
    """Lines of the page's visible text and chart labels with Chinese left after the
    store's names are taken out (the 指标说明 panel is closed: its formulas are the KPI
    registry's)."""
    texts = drv.find_element(By.CSS_SELECTOR, ".gc-analysis").text.splitlines()
    texts += drv.execute_script(
        "return [...document.querySelectorAll('.gc-analysis-grid svg text')]"
        ".map(e => e.textContent);")
    bad = []
    for text in texts:
        for name in allowed:
            text = text.replace(name, "")
        if CJK.search(text):
            bad.append(text)
    return bad


@pytest.fixture
def english(driver, base_url):
    driver.get(base_url + "/lang/en")
    try:
        yield driver
    finally:
        driver.get(base_url + "/lang/zh")


@pytest.mark.parametrize("key", [p.key for p in PAGES])
def test_an_analysis_page_reads_in_english(english, base_url, demo, key):
    drv = english
    drv.get_log("browser")
    page = BY_KEY[key]
    titles = _open(drv, base_url, key)
    want = [t(p.title, "en") for p in page.panels]
    if page.map_title:
        want.insert(0, t(page.map_title, "en"))
    assert titles == want
    assert drv.title == f"GridCommand · {t(page.title, 'en')}"
    assert drv.find_element(By.ID, ids.page_id(key, "help", "summary")).text == "Definitions"
    names = [c.text.splitlines()[0] for c in drv.find_elements(
        By.CSS_SELECTOR, ".gc-akpi .gc-akpi-name")]
    assert names and not any(CJK.search(n) for n in names), names
    bad = _visible_chinese(drv, _store_names(demo))
    _shot(drv, f"analysis-en-{key}.png")
    assert bad == []
    assert _cut_heads(drv) == []
    assert _severe(drv) == []


def test_the_timeliness_charts_name_their_values_in_english(english, base_url):
    drv = english
    _open(drv, base_url, "timeliness")
    funnel = drv.execute_script(
        "return [...document.querySelectorAll('.gc-area-a .ytick text')]"
        ".map(e => e.textContent);")
    assert funnel[:2] == ["Reported", "Registered"] or "Reported" in funnel, funnel
    lights = drv.execute_script(
        "return [...document.querySelectorAll('.gc-area-b .xtick text')]"
        ".map(e => e.textContent);")
    assert lights and set(lights) <= {"Normal", "Due soon", "Overdue", "Closed on time",
                                      "Closed late", "No time limit", "Not registered"}
    legend = drv.execute_script(
        "return [...document.querySelectorAll('.gc-area-f .legendtext')]"
        ".map(e => e.textContent);")
    assert legend == ["Closed", "On time"], legend


def test_the_chinese_page_is_unchanged(driver, base_url):
    driver.get(base_url + "/lang/zh")
    titles = _open(driver, base_url, "timeliness")
    assert titles[:3] == ["响应、处置、办结时长：平均 · 中位 · P90",
                          "办理流程漏斗（各环节中位用时，自上一环节起算）", "时限红黄绿灯（当前）"]
    assert driver.title == "网格指挥舱 GridCommand"
    assert driver.find_element(By.ID, ids.page_id("timeliness", "total", "text")).text \
        .startswith("期内上报案件")
    _shot(driver, "analysis-zh-timeliness.png")
    assert _cut_heads(driver) == []


def test_the_cases_page_and_a_case_read_in_english(english, base_url, demo):
    drv = english
    drv.get_log("browser")
    drv.get(base_url + "/cases?period=30d&region=320612&status=已结案")
    WebDriverWait(drv, 40).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#{ids.CASES_TABLE} tbody td")) > 5)
    titles = [h.text for h in drv.find_elements(By.CSS_SELECTOR, ".gc-analysis-grid .gc-card h2")]
    assert titles == [t(k, "en") for k in ("cases.map", "cases.trend", "cases.major",
                                           "cases.source", "cases.status", "cases.repeat",
                                           "cases.detail")]
    assert drv.title == "GridCommand · Cases"
    chip = drv.find_element(By.ID, ids.FILTER_CHIPS_DIV).text
    assert "Closed" in chip and "已结案" not in chip  # the status chip, in English
    cell = drv.find_elements(By.CSS_SELECTOR, f"#{ids.CASES_TABLE} tbody td")[0]
    case_no = cell.text
    cell.click()
    panel = drv.find_element(By.ID, ids.CASES_DETAIL_DIV)
    WebDriverWait(drv, 20).until(lambda _: case_no in panel.text)
    steps = [s.text.splitlines()[0] for s in panel.find_elements(By.CSS_SELECTOR, ".gc-step")]
    assert steps == ["Reported", "Registered", "Dispatched", "Handled", "Verified", "Closed"]
    bad = _visible_chinese(drv, _store_names(demo))
    _shot(drv, "analysis-en-cases.png")
    assert bad == []
    assert _severe(drv) == []
