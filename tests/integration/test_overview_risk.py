"""The overview's 即将超期风险 pane (issue 19): over HTTP, its count and queue equal the
stored scores read straight from ``foresight_scores`` (no GridCommand code), scoped to the
region in view and the user's jurisdiction; a past day shows no scores."""

from __future__ import annotations

import gzip
import json
import re

import pandas as pd
import pytest
from auth_helpers import ORIGIN

from dashboard import ids
from dashboard.i18n import COOKIE
from dashboard.settings import Settings
from layouts.overview import RISK_ITEMS

COUNTY = "320612"


def _post(client, app, region="", asof=None):
    key = next(k for k in app.callback_map if ids.OVERVIEW_RISK_DIV in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    inputs = [
        {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
        {"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": asof},
        {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
        {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0},
    ]
    return client.post("/_dash-update-component",
                       json={"output": key, "outputs": outputs, "inputs": inputs,
                             "changedPropIds": [], "state": []},
                       headers={"Accept-Encoding": "gzip", "Origin": ORIGIN})


def _out(response) -> dict:
    assert response.status_code == 200, response.data[:300]
    data = gzip.decompress(response.data) if response.headers.get(
        "Content-Encoding") == "gzip" else response.data
    return json.loads(data)["response"]


def _stored(demo, prefix: str, threshold: float) -> tuple[pd.DataFrame, int]:
    """The scores of ``prefix`` at or above ``threshold``, most likely first, and how many
    cases were scored there, straight from the table."""
    rows = demo.execute(
        "SELECT case_no, probability, reasons, deadline_at FROM foresight_scores "
        "WHERE kind = 'risk' AND starts_with(grid_code, $p) "
        "ORDER BY probability DESC, deadline_at, case_id", {"p": prefix}).df()
    return rows[rows["probability"] >= threshold].reset_index(drop=True), len(rows)


def _texts(node) -> list[str]:
    """Every string in a serialised component tree, in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for n in node for s in _texts(n)]
    if isinstance(node, dict):
        return _texts(node.get("props", {}).get("children"))
    return []


def _items(pane) -> list[dict]:
    """The queue's rows: their data attributes and texts."""
    found = []

    def walk(node):
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if "gc-risk-item" in (props.get("className") or ""):
                found.append({"case": props["data-case"], "p": float(props["data-p"]),
                              "texts": _texts(props.get("children"))})
            walk(props.get("children"))
    walk(pane)
    return found


@pytest.mark.parametrize("level", ["city", "county"])
def test_the_pane_shows_the_stored_queue_of_the_region(client, app, demo, level):
    region, prefix = "", "3206"
    if level == "county":
        # the county with the most scored cases: which counties have open cases with a
        # deadline depends on the hour the session demo was built (it ends then)
        region = prefix = demo.execute(
            "SELECT left(grid_code, 6) FROM foresight_scores WHERE kind = 'risk' "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    threshold = Settings.load().foresight_threshold
    want, scored = _stored(demo, prefix, threshold)
    assert scored, "the demo store has stored scores"
    out = _out(_post(client, app, region=region))
    tabs = out[ids.OVERVIEW_ALERT_TAB]["options"]
    assert [o["value"] for o in tabs] == ["alerts", "risk"]
    assert tabs[1]["label"] == f"超期风险 {len(want):,}"
    pane = out[ids.OVERVIEW_RISK_DIV]["children"]
    text = " ".join(_texts(pane))
    assert f"风险案件数 {len(want):,} 件 / 在办有时限 {scored:,} 件" in text
    items = _items(pane)
    if len(want):
        top = want.head(RISK_ITEMS)
        assert [i["case"] for i in items] == list(top["case_no"])
        assert [i["p"] for i in items] == pytest.approx(list(top["probability"]), abs=1e-4)
        for item, row in zip(items, top.itertuples(), strict=True):
            assert f"{row.probability:.0%}" in item["texts"]
            assert row.reasons in item["texts"]
            assert any(f"{pd.Timestamp(row.deadline_at):%m-%d %H:%M}" in s
                       for s in item["texts"])
    else:  # nothing at the threshold: the most likely below it, said to be below it
        assert "无达到阈值的案件" in text
        below = demo.execute(
            "SELECT case_no FROM foresight_scores WHERE kind = 'risk' AND "
            "starts_with(grid_code, $p) ORDER BY probability DESC, deadline_at, case_id "
            "LIMIT 5", {"p": prefix}).fetchall()
        assert [i["case"] for i in items] == [r[0] for r in below]


def test_a_region_with_no_case_at_the_threshold_lists_the_nearest(client, app, demo):
    threshold = Settings.load().foresight_threshold
    grid = demo.execute(
        "SELECT grid_code FROM foresight_scores WHERE kind = 'risk' AND starts_with(grid_code, "
        "'3206') GROUP BY 1 HAVING max(probability) < $t ORDER BY count(*) DESC, 1 LIMIT 1",
        {"t": threshold}).fetchone()
    if grid is None:
        pytest.skip("every scored grid has a case at the threshold")
    out = _out(_post(client, app, region=grid[0]))
    pane = out[ids.OVERVIEW_RISK_DIV]["children"]
    assert out[ids.OVERVIEW_ALERT_TAB]["options"][1]["label"] == "超期风险 0"
    assert "无达到阈值的案件" in " ".join(_texts(pane))
    below = demo.execute(
        "SELECT case_no FROM foresight_scores WHERE kind = 'risk' AND grid_code = $g "
        "ORDER BY probability DESC, deadline_at, case_id LIMIT 5", {"g": grid[0]}).fetchall()
    assert [i["case"] for i in _items(pane)] == [r[0] for r in below]


def test_a_region_with_no_scored_case_counts_zero(client, app, demo):
    """A grid without an open case with a deadline: 风险案件数 0 at the scoring run's
    moment (the store was scored), not "–" or "no scores yet"."""
    grid = demo.execute(
        "SELECT code FROM grids WHERE code NOT IN (SELECT grid_code FROM foresight_scores) "
        "ORDER BY code LIMIT 1").fetchone()[0]
    run_at = demo.execute("SELECT max(asof_at) FROM foresight_scores WHERE kind = 'risk'"
                          ).fetchone()[0]
    assert run_at is not None
    out = _out(_post(client, app, region=grid))
    assert out[ids.OVERVIEW_ALERT_TAB]["options"][1]["label"] == "超期风险 0"
    text = " ".join(_texts(out[ids.OVERVIEW_RISK_DIV]["children"]))
    assert "风险案件数 0 件 / 在办有时限 0 件" in text
    assert f"{pd.Timestamp(run_at):%m-%d %H:%M}" in text and "暂无评分结果" not in text
    assert _items(out[ids.OVERVIEW_RISK_DIV]["children"]) == []


def test_a_past_day_shows_no_scores(client, app, demo):
    day = demo.execute("SELECT CAST(min(reported_at) AS DATE) + 400 FROM incidents").fetchone()[0]
    out = _out(_post(client, app, asof=day.isoformat()))
    assert out[ids.OVERVIEW_ALERT_TAB]["options"][1]["label"] == "超期风险 –"
    pane = out[ids.OVERVIEW_RISK_DIV]["children"]
    assert "回看历史时不显示" in " ".join(_texts(pane))
    assert _items(pane) == []


def test_a_county_user_sees_only_the_county(county_client, app, demo):
    threshold = Settings.load().foresight_threshold
    want, _ = _stored(demo, COUNTY, threshold)
    out = _out(_post(county_client, app))
    assert out[ids.OVERVIEW_ALERT_TAB]["options"][1]["label"] == f"超期风险 {len(want):,}"
    assert all(i["case"] in set(want["case_no"]) or not len(want)
               for i in _items(out[ids.OVERVIEW_RISK_DIV]["children"]))
    for region in ("3206", "320613", "320613001001", "320700000000"):
        response = _post(county_client, app, region=region)
        assert response.status_code == 403
        assert b"CANARY" not in response.data and b"probability" not in response.data


CJK = re.compile(r"[\u3001-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _hours_of(text: str) -> float:
    """``12 h`` or ``3.5 days`` in hours."""
    value, unit = text.split(" ")
    return float(value) * (24 if unit == "days" else 1)


def test_in_english_the_pane_words_the_stored_reasons(client, app, demo):
    """The English pane's reasons are English (migration 020: worded at read time) and say
    the stored numbers: the hours left and the share of the time limit used, recomputed
    from the stored deadline and run moment and the case's registration (pandas), and the
    line's stored queue."""
    client.set_cookie(COOKIE, "en")
    out = _out(_post(client, app))
    items = _items(out[ids.OVERVIEW_RISK_DIV]["children"])
    assert items
    stored = demo.execute(
        "SELECT s.case_no, s.probability, s.queue, s.deadline_at, s.asof_at, s.reasons, "
        "s.reason_parts, i.registered_at FROM foresight_scores AS s "
        "JOIN incidents AS i ON i.id = s.case_id "
        "WHERE s.kind = 'risk'").df().set_index("case_no")
    queues = 0
    with_queue = 0
    for item in items:
        row = stored.loc[item["case"]]
        why = [s for s in item["texts"] if "left to the deadline" in s]
        assert len(why) == 1 and not CJK.search(why[0]), item["texts"]
        assert row.reasons not in item["texts"]  # not the stored Chinese
        m = re.match(r"(\d+(?:\.\d)? (?:h|days)) left to the deadline, (\d+)% of the time "
                     r"limit used; ", why[0])
        assert m, why[0]
        left = (row.deadline_at - row.asof_at).total_seconds() / 3600
        assert abs(_hours_of(m[1]) - left) <= (0.5 if m[1].endswith(" h") else 1.2) + 1e-9
        limit = max((row.deadline_at - row.registered_at).total_seconds(), 3600)
        used = min((row.asof_at - row.registered_at).total_seconds() / limit, 9.99)
        assert abs(int(m[2]) - 100 * used) <= 0.5 + 1e-6
        q = re.search(r"open cases on the department's line: (\d+)", why[0])
        if q:
            assert int(q[1]) == row.queue
            queues += 1
        with_queue += any(p["code"] in ("load", "queue") for p in json.loads(row.reason_parts))
    # whether a listed case has a queue reason depends on the hour the demo ends at (the
    # lines' backlogs then): the pane words one exactly where the run stored one
    assert queues == with_queue


def test_in_english_the_alert_list_words_the_at_risk_titles(demo, now):
    """The alert list's at-risk titles, built per language in Python (not in SQL): the
    小类's English name and the stored probability in percent, recomputed (pandas, half
    up) from foresight_scores and categories; the Chinese title is the one SQL built."""
    from decimal import ROUND_HALF_UP, Decimal

    from dashboard import overview_data as od
    from dashboard.kpi.scope import Scope
    from layouts.overview import alert_list

    counts, items = od.alerts(demo, Scope("3206", "leader"), now, risk_threshold=0.0)
    s = demo.execute("SELECT s.*, c.minor_name, c.name_en FROM foresight_scores AS s "
                     "LEFT JOIN categories AS c ON c.code = s.category_code "
                     "WHERE s.kind = 'risk'").df()
    s = s[(s["asof_at"] <= now) & (s["deadline_at"] > now)]
    s = s.sort_values(["probability", "deadline_at", "case_id"],
                      ascending=[False, True, True]).head(od.ALERT_ITEMS)
    assert len(s)
    pct = [int(Decimal(100 * p).quantize(Decimal(1), rounding=ROUND_HALF_UP))
           for p in s["probability"]]
    for lang, want in (
            ("en", [f"{e if isinstance(e, str) and e else m}: {p}% likely to miss the deadline"
                    for m, e, p in zip(s["minor_name"], s["name_en"], pct, strict=True)]),
            ("zh", [f"{m} 超期概率 {p}%" for m, p in zip(s["minor_name"], pct, strict=True)])):
        rows = alert_list(items[items["kind"] == "at_risk"], lang, limit=50)
        titles = [r.children[1].children[0].children for r in rows]
        assert titles == want
    assert items.loc[items["kind"] == "at_risk", "title"].tolist() == want
