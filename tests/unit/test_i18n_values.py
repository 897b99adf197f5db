"""The catalogue's workflow values (``i18n.value``): every value the code owns has an
English name, a Chinese page shows the value as before, and a city's own word shows as
stored."""

from __future__ import annotations

import re

from dashboard import i18n, taxonomy
from dashboard.cases_data import STAGES
from dashboard.filters import SENSOR_TYPES
from layouts import thematic

CJK = re.compile(r"[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
BANDS = ("4小时内", "4–24小时", "1–3天", "3–7天", "7天以上")  # analysis/fill.sql, less "1. "


def test_every_workflow_value_has_an_english_name():
    groups = {
        "status": taxonomy.STATUSES, "risk": taxonomy.RISK_LEVELS,
        "rating": (*taxonomy.RATINGS, "未参评"), "stype": SENSOR_TYPES,
        "hstate": tuple(thematic.STATE_COLORS), "light": thematic.LIGHT_ORDER,
        "stage": tuple(name for _, name in STAGES), "band": BANDS,
        "stage_now": tuple(thematic.STAGE_LABELS),
    }
    for group, codes in groups.items():
        for code in codes:
            en = i18n.value(group, code, "en")
            assert en and not CJK.search(en), (group, code, en)


def test_a_chinese_page_shows_the_value_as_stored():
    for code in taxonomy.STATUSES:
        assert i18n.value("status", code, "zh") == code
    # a value keyed by a code (the at-risk queue's stage) reads its Chinese name
    assert [i18n.value("stage_now", k, "zh") for k in thematic.STAGE_LABELS] == list(
        thematic.STAGE_LABELS.values())


def test_a_citys_own_word_shows_as_stored():
    assert i18n.value("status", "挂起", "en") == "挂起"
    assert i18n.value("stype", "Flood gauge", "en") == "Flood gauge"
    assert i18n.value("status", None, "en") == ""
    assert i18n.values("risk", ["重大", "特别重大"], "en") == ["Major", "特别重大"]


def test_the_catalogue_has_both_languages_and_the_same_placeholders():
    for key, (zh, en) in i18n.MESSAGES.items():
        assert zh and (en or key.startswith("unit.")), key
        if key == "app.title":  # the Chinese tab keeps the app's bilingual name, no page
            continue
        assert sorted(re.findall(r"\{(\w+)", zh)) == sorted(re.findall(r"\{(\w+)", en)), key


def test_the_page_descriptions_hold_message_keys():
    for page in thematic.PAGES:
        for key in (page.title, page.map_title, *page.notes,
                    *(p.title for p in page.panels), *(p.note for p in page.panels)):
            if key:
                assert key in i18n.MESSAGES, (page.key, key)
                assert not CJK.search(i18n.t(key, "en")), (page.key, key)
