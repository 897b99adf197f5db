"""A malformed filter in a link is told in the page's language (dashboard.filters.FilterError),
and in English, as before, in HTTP error bodies and the log."""

from __future__ import annotations

import re

import pytest

from dashboard import frames
from dashboard.filters import FilterError, Filters
from dashboard.i18n import MESSAGES

BAD_LINKS = [
    ("?period=90d", "period", "filter period: expected one of today, 7d, 30d, month, "
                              "last_month, year, custom"),
    ("?period=custom&from=2024-13-01&to=2024-12-01", "dates",
     "filter from/to: expected dates as YYYY-MM-DD"),
    ("?period=custom&from=2024-02-01&to=2024-01-01", "order",
     "filter from/to: from is after to"),
    ("?period=custom&from=2018-01-01&to=2024-01-01", "span",
     "filter from/to: at most five years"),
    ("?region=3206;drop", "region", "filter region: malformed code '3206;drop'"),
    ("?grid=" + ",".join(f"3206{i:011d}" for i in range(201)), "too_many",
     "filter grid: at most 200 values"),
    ("?status=lost", "unknown", "filter status: unknown value 'lost'"),
    ("?grid=abc", "malformed", "filter grid: malformed value 'abc'"),
]


@pytest.mark.parametrize(("link", "key", "english"), BAD_LINKS)
def test_a_bad_link_is_refused_in_both_languages(link, key, english):
    with pytest.raises(FilterError) as caught:
        Filters.from_query(link)
    assert caught.value.key == key and str(caught.value) == english
    zh = caught.value.text("zh")
    assert zh != english and re.search(r"[\u4e00-\u9fff]", zh)
    assert not re.search(r"\bfilter\b|expected|malformed|unknown value", zh)
    # the page's frame says it in the page's language
    assert frames.parse(link, "zh")[1] == f"链接中的筛选条件无效：{zh}"
    assert frames.parse(link, "en")[1] == f"Invalid filter in the link: {english}"


def test_every_filter_error_has_both_texts_with_the_same_values():
    keys = [k for k in MESSAGES if k.startswith("filter.error.")]
    assert len(keys) == 8
    for key in keys:
        zh, en = MESSAGES[key]
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key
