"""The analysis pages in English: no Chinese in the UI chrome.

For every analysis page (事件分析, the six thematic pages, 数据质量, 通报) this walks what a
browser in English receives from the real app over HTTP (logged-in test client, language
cookie ``en``): the page layout the router serves, every callback output (figures, panels,
KPI strip, totals, the case table, a case's panel and a grid's profile), and collects the
strings a reader sees: component children and titles, table headers and cells, figure
titles, axis titles, trace names, hover templates, text labels, category tick labels,
annotations and the map's unit.

The allowance is explicit and narrow, each item read from its one source and removed from
a string before it is checked; every other CJK character fails the test:

* the store's own names that have no English name in its taxonomy: regions, grids,
  departments, grid workers' names, key persons' names as the page masks them (``张**``)
  and the source file names of the import log (category,
  source, hazard type and key-person category names do have English names, ``name_en``,
  so they are not allowed);
* the KPI registry's formulas and definitions (``dashboard/kpi/registry.py``, shared with
  docs/kpi.md, the 通报 and the CLI): the formulas are written in the registry's Chinese
  terms and the English definitions gloss them (立案, 非作废案件); shown as the registry has
  them, in the 指标说明 panel and a KPI card's hover.

The at-risk model's stored reasons are not allowed: they are stored as structured parts
(``foresight_scores.reason_parts``, migration 020) and worded in English at read time
(``dashboard/foresight/explain.py``).
"""

from __future__ import annotations

import json
import re

import pytest
from auth_helpers import ADMIN, CITY_LEADER, callback_request, login_client, post_callback

from dashboard import ids
from dashboard.i18n import COOKIE
from dashboard.kpi.registry import FORESIGHT_KPIS, KPIS
from dashboard.privacy import mask_name
from layouts.thematic import PAGES

# CJK ideographs and CJK punctuation (full-width brackets, colons, commas); not U+3000, the
# ideographic space that indents a 小类 under its 大类 in the category menu (blank in any
# language)
CJK = re.compile(r"[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
SEARCH = "?period=year&region=320612"
PAGE_PATHS = ["/cases", *(p.path for p in PAGES), "/quality", "/reports"]

# figure keys a reader sees (data arrays only where they are category labels)
TRACE_TEXT = ("name", "hovertemplate", "text", "texttemplate")
TRACE_LABELS = ("x", "y", "labels")


def _allowed_names(demo) -> list[str]:
    """What may stay Chinese (the module's docstring): the store's names without English
    ones, the KPI registry's formulas and definitions; longest first, so a text containing
    another goes whole."""
    names: set[str] = set()
    for sql in ("SELECT name FROM regions", "SELECT name FROM grids",
                "SELECT worker_name FROM grids", "SELECT name FROM departments",
                "SELECT source_file FROM import_batches"):
        names.update(r[0] for r in demo.execute(sql).fetchall() if r[0])
    pii = demo.execute("SELECT name FROM key_person_pii").fetchall()
    names.update(mask_name(r[0]) for r in pii)
    for k in (*KPIS, *FORESIGHT_KPIS):
        names.update((k.formula, k.definition))
    return sorted((n for n in names if CJK.search(n)), key=len, reverse=True)


def _strip(text: str, allowed: list[str]) -> str:
    for name in allowed:
        if name in text:
            text = text.replace(name, "")
    return text


def _strings(node, where: str = ""):
    """(where, string) pairs of what a reader sees in a component tree or figure dict."""
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _strings(item, where)
    elif isinstance(node, dict):
        if "props" in node and "type" in node:  # a Dash component
            props, kind = node["props"], node["type"]
            for key in ("children", "title", "placeholder", "label"):
                if key in props:
                    yield from _strings(props[key], f"{where}/{kind}.{key}")
            for key in ("options",):
                for opt in props.get(key) or []:
                    if isinstance(opt, dict):
                        yield from _strings(opt.get("label"), f"{where}/{kind}.option")
            if kind == "DataTable":
                for col in props.get("columns") or []:
                    yield from _strings(col.get("name"), f"{where}/DataTable.column")
            if "figure" in props:
                yield from _figure(props["figure"], f"{where}/{kind}.figure")
            if "hideout" in props:
                yield from _strings((props["hideout"] or {}).get("unit", ""), where + "/unit")
        elif "data" in node and "layout" in node:  # a figure
            yield from _figure(node, where)
        elif "unit" in node and "breaks" in node:  # a map hideout
            yield from _strings(node["unit"], where + "/unit")
            yield from _strings(list((node.get("labels") or {}).values()), where + "/labels")
        else:  # a callback's response: component id → {property: value}
            for key, value in node.items():
                yield from _strings(value, f"{where}/{key}")


def _figure(fig: dict, where: str):
    layout = fig.get("layout") or {}
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict):
            title = value.get("title")
            yield from _strings(title.get("text") if isinstance(title, dict) else title,
                                f"{where}/{key}.title")
    title = layout.get("title")
    yield from _strings(title.get("text") if isinstance(title, dict) else title,
                        f"{where}/title")
    for note in layout.get("annotations") or []:
        yield from _strings(note.get("text"), f"{where}/annotation")
    for trace in fig.get("data") or []:
        for key in TRACE_TEXT:
            yield from _strings(trace.get(key), f"{where}/{trace.get('type')}.{key}")
        for key in TRACE_LABELS:
            values = trace.get(key)
            if isinstance(values, list):
                yield from _strings([v for v in values if isinstance(v, str)],
                                    f"{where}/{trace.get('type')}.{key}")
        node = trace.get("node")
        if isinstance(node, dict):
            yield from _strings(node.get("label"), f"{where}/sankey.node")
        link = trace.get("link")
        if isinstance(link, dict):
            yield from _strings(link.get("hovertemplate"), f"{where}/sankey.link")


def _chinese(found, allowed: list[str]) -> list[tuple[str, str]]:
    return [(where, text) for where, text in found if CJK.search(_strip(text, allowed))]


@pytest.fixture
def english(app):
    """The city leader (cleared for personal data: the persons page lists people; a
    city-level user: the quality page shows the import log), in English."""
    client = app.server.test_client()
    login_client(client, *CITY_LEADER)
    client.set_cookie(COOKIE, "en")
    return client


def _router(client, app, path: str, search: str = ""):
    inputs = [{"id": "_pages_location", "property": "pathname", "value": path},
              {"id": "_pages_location", "property": "search", "value": search}]
    response = post_callback(client, callback_request(
        app, "_pages_content.children", inputs, changed=["_pages_location.pathname"]))
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]


def _callback(client, app, output: str, search: str = SEARCH, extra=(), state=()):
    inputs = [{"id": ids.FILTER_URL, "property": "search", "value": search}, *extra]
    response = post_callback(client, callback_request(
        app, output, inputs, state, changed=[f"{ids.FILTER_URL}.search"]))
    assert response.status_code == 200, (output, response.data[:300])
    return response.get_json()["response"]


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_the_page_layout_has_no_chinese_chrome_in_english(app, english, demo, path):
    got = _router(english, app, path, SEARCH)
    allowed = _allowed_names(demo)
    found = list(_strings(got))
    # the walk reaches the page, not an error line (通报: an empty archive, its 4 lines)
    assert len(found) > (3 if path == "/reports" else 20), found
    assert _chinese(found, allowed) == []
    assert got["_pages_store"]["data"]["title"].startswith("GridCommand")


@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_every_thematic_panel_has_no_chinese_chrome_in_english(app, english, demo, page):
    got = _callback(english, app, f"{page.key}-total-text.children")
    allowed = _allowed_names(demo)
    found = list(_strings(list(got.values())))
    assert len(found) > 30
    assert _chinese(found, allowed) == []


def test_the_cases_page_has_no_chinese_chrome_in_english(app, english, demo):
    allowed = _allowed_names(demo)
    got = _callback(english, app, f"{ids.CASES_TOTAL_TEXT}.children",
                    search="?period=year&grid=320612001001001")
    table = _callback(english, app, f"{ids.CASES_TABLE}.data", search="?period=year",
                      extra=[{"id": ids.CASES_TABLE, "property": "page_current", "value": 0},
                             {"id": ids.CASES_TABLE, "property": "sort_by", "value": []}],
                      state=[{"id": ids.CASES_TABLE, "property": "page_size", "value": 10}])
    rows = table[ids.CASES_TABLE]["data"]
    assert rows
    found = list(_strings(list(got.values())))
    found += [(f"table.{k}", str(v)) for r in rows for k, v in r.items()
              if k not in ("overdue",)]
    # a case with hand-offs and a survey: its panel
    case_id = next(r[0] for r in demo.execute(
        "SELECT i.id FROM incidents i JOIN escalations e ON e.incident_id = i.id "
        "JOIN surveys s ON s.incident_id = i.id WHERE i.extended_hours > 0 "
        "ORDER BY i.id LIMIT 1").fetchall())
    detail = post_callback(english, callback_request(
        app, f"{ids.CASES_DETAIL_DIV}.children",
        [{"id": ids.CASES_TABLE, "property": "active_cell", "value": {"row": 0, "column": 0}}],
        [{"id": ids.CASES_TABLE, "property": "data", "value": [{"id": int(case_id)}]}],
        changed=[f"{ids.CASES_TABLE}.active_cell"]))
    assert detail.status_code == 200, detail.data[:300]
    found += list(_strings(list(detail.get_json()["response"].values())))
    assert _chinese(found, allowed) == []


def test_the_quality_page_has_no_chinese_chrome_in_english(app, english, demo):
    got = _callback(english, app, f"{ids.QUALITY_CARDS_DIV}.children")
    found = list(_strings(list(got.values())))
    assert _chinese(found, _allowed_names(demo)) == []


def test_an_archived_report_line_has_no_chinese_chrome_in_english():
    """The 通报 page's table (the demo store has no archive: its lines from one entry)."""
    from datetime import datetime

    from layouts import reports

    row = {"id": "r1", "region": "320612", "region_name": "通州区", "level": "county",
           "period": "2026-11", "period_kind": "month", "as_of": datetime(2026, 12, 1),
           "generated_at": datetime(2026, 12, 1, 0, 5), "formats": ["xlsx", "pdf", "docx"],
           "kpis": {"reported": 1234, "close_rate": 0.9, "ontime_rate": 0.8}, "late_total": 3}
    page = reports.layout([row], "通州区（320612）", "en").to_plotly_json()
    found = list(_strings(json.loads(json.dumps(page, default=_plotly))))
    assert len(found) > 15
    assert _chinese(found, ["通州区"]) == []
    zh = " ".join(s for _, s in _strings(json.loads(json.dumps(
        reports.layout([row], "通州区（320612）", "zh").to_plotly_json(), default=_plotly))))
    assert "2026年11月" in zh and "月报" in zh and "区县" in zh


def _plotly(obj):
    return obj.to_plotly_json()


def test_the_allowance_is_narrow():
    """Only the store's names go: a Chinese word of the UI next to one still fails."""
    allowed = ["崇川区", "德民社区第3网格"]
    assert _chinese([("x", "崇川区 · 德民社区第3网格")], allowed) == []
    assert _chinese([("x", "崇川区 · 网格")], allowed) == [("x", "崇川区 · 网格")]
    assert _chinese([("x", "Hazards （x）")], allowed)
    fig = {"data": [{"type": "bar", "name": "告警", "x": ["Fire"], "y": [1]}],
           "layout": {"yaxis": {"title": {"text": "小时"}}}}
    assert len(_chinese(list(_strings(fig)), allowed)) == 2


def test_the_chinese_pages_keep_their_words(app, demo):
    """The same walk in Chinese finds the Chinese titles (the walk itself works)."""
    client = app.server.test_client()
    login_client(client, *ADMIN)
    got = _callback(client, app, "hazards-total-text.children")
    found = list(_strings(list(got.values())))
    texts = " ".join(s for _, s in found)
    assert "期内发现隐患" in texts and "发现 %{x}" in texts
    assert any(w.endswith("scatter.name") and s == "整改" for w, s in found)
