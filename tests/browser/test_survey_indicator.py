"""群众满意度(测评口径) in headless Chromium, Chinese and English: the overview's map indicator
(legend, % labels, nothing off the wall screen) and the satisfaction page's KPI cards and
survey panels; in English the categories read by their English names. Screenshots:
overview-area-satisfaction{,-en}.png, thematic-satisfaction-area{,-en}.png."""

from __future__ import annotations

import re

import pytest
from browser_support import SCREENSHOTS, header_right_edge
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids

pytestmark = pytest.mark.browser


def _severe(drv) -> list:
    return [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def _shot(drv, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drv.execute_script("return new Promise(r => setTimeout(r, 600))")
    drv.save_screenshot(str(SCREENSHOTS / name))


def _fits(drv) -> None:
    inner_w, inner_h, scroll_w, scroll_h = drv.execute_script(
        "const d = document.documentElement;"
        "return [innerWidth, innerHeight, d.scrollWidth, d.scrollHeight];")
    assert scroll_w <= inner_w and scroll_h <= inner_h
    right, width = header_right_edge(drv)
    assert right <= width + 1


def _map_labels(drv) -> list[str]:
    return drv.execute_script(
        "return [...document.querySelectorAll('.gc-region-label .gc-label-value')]"
        ".map(e => e.textContent);")


@pytest.mark.parametrize("lang, title", [("zh", "群众满意度(测评)"),
                                         ("en", "Surveyed satisfaction")])
def test_the_overview_colours_the_map_by_surveyed_satisfaction(driver, base_url, lang, title):
    driver.get(base_url + f"/lang/{lang}")
    try:
        driver.get_log("browser")
        driver.get(base_url + "/?indicator=area_satisfaction")
        legend = WebDriverWait(driver, 40).until(
            lambda d: d.find_element(By.ID, ids.OVERVIEW_LEGEND_DIV))
        WebDriverWait(driver, 40).until(lambda _: title in legend.text)
        WebDriverWait(driver, 20).until(
            lambda d: _map_labels(d) and all(v.endswith("%") or v == "–"
                                             for v in _map_labels(d)))
        assert any(v.endswith("%") for v in _map_labels(driver))  # the demo has answers
        radio = driver.find_element(By.ID, ids.OVERVIEW_INDICATOR_RADIO)
        assert title in radio.text
        _fits(driver)
        _shot(driver, "overview-area-satisfaction" + ("-en" if lang == "en" else "") + ".png")
        assert _severe(driver) == []
    finally:
        driver.get(base_url + "/lang/zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_satisfaction_page_shows_the_survey_kpi_and_panels(driver, base_url, lang):
    driver.get(base_url + f"/lang/{lang}")
    try:
        driver.get_log("browser")
        driver.get(base_url + "/satisfaction?period=year&region=320612")
        WebDriverWait(driver, 40).until(lambda d: len(d.find_elements(
            By.CSS_SELECTOR, ".gc-akpi")) == 4)
        cards = driver.find_elements(By.CSS_SELECTOR, ".gc-akpi")
        texts = [c.text for c in cards]
        name = "群众满意度(测评口径)" if lang == "zh" else "Resident satisfaction (survey)"
        card = next(t for t in texts if name in t)
        assert "%" in card
        WebDriverWait(driver, 30).until(lambda d: len(d.find_elements(
            By.CSS_SELECTOR, ".gc-analysis-grid .js-plotly-plot .main-svg")) >= 7)
        body = driver.find_element(By.TAG_NAME, "body").text
        panels = (("群众满意度(测评)·按区域", "群众满意度(测评)·按测评对象") if lang == "zh" else
                  ("Surveyed satisfaction by area", "Surveyed satisfaction by group"))
        assert all(p in body for p in panels)
        # the area panel has one bar per unit with answers; the trend has the third line
        svg = driver.execute_script(
            "return [...document.querySelectorAll('.gc-area-f .ytick text, "
            ".gc-area-a .legendtext')].map(e => e.textContent);")
        line = "群众满意度(测评)" if lang == "zh" else "Surveyed satisfaction"
        assert line in svg and len(svg) > 3
        if lang == "en":
            ticks = driver.execute_script(
                "return [...document.querySelectorAll('.gc-area-b .ytick text')]"
                ".map(e => e.textContent);")
            # Plotly thins crowded category labels, so which names are drawn varies: every
            # drawn one is the English name, none is Chinese
            english = {"Disputes", "Fire safety", "Flood and typhoon control", "Advertising",
                       "Environment and sanitation", "Public utilities"}
            assert ticks and english & set(ticks), ticks
            assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in ticks), ticks
        _fits(driver)
        _shot(driver, "thematic-satisfaction-area" + ("-en" if lang == "en" else "") + ".png")
        assert _severe(driver) == []
    finally:
        driver.get(base_url + "/lang/zh")
