"""The overview's live feed (实时事件) in the page's language, through both of its paths
(``panel_items`` over open_items on a live screen; ``overview/feed.sql`` over the case
tables or the raw tables otherwise): in English a row's category is the store's
categories.name_en of its case and its source the store's English name of the source,
the stored Chinese name where the store has none; the Chinese rows are as stored. The
expected names are read from the store here with SQL of the test's own."""

from __future__ import annotations

import re
import shutil
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from dashboard import open_items
from dashboard import overview_data as od
from dashboard.kpi.scope import Scope
from layouts.overview import feed_list

CITY = Scope("3206", "leader")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
STATUS_EN = {"已立案": "Registered", "处置中": "In hand", "已结案": "Closed",
             "待立案": "To register", "待核查": "To verify", "待结案": "To close",
             "已作废": "Void"}


def _paths(con, now) -> dict:
    """The feed of the city at ``now`` by each path: live (open_items), the case tables
    and the raw tables."""
    assert open_items.covers(con, now)  # the live path is the one a screen takes now
    return {"live": od.panel_items(con, CITY, CITY, now)["feed"],
            "tables": od.feed(con, CITY, now, od.FEED_ITEMS, tables=True),
            "raw": od.feed(con, CITY, now, od.FEED_ITEMS, tables=False)}


def _stored(con, ids: list[int]) -> dict[int, tuple]:
    """Per case: (小类, its English name, source, the source's English name), as stored."""
    rows = con.execute(
        "SELECT i.id, c.minor_name, c.name_en, i.source, x.name_en FROM incidents AS i "
        "JOIN categories AS c ON c.code = i.category_code "
        "LEFT JOIN taxonomy AS x ON x.field = 'incident_source' AND x.code = i.source "
        "WHERE list_contains(?, i.id)", [ids]).fetchall()
    return {r[0]: r[1:] for r in rows}


def _shown(frame, lang: str) -> list[dict]:
    """What the page shows of each feed row: category, status, source, the place line."""
    out = []
    for li in feed_list(frame, lang):
        body = li.children[1]
        cat, status = body.children[0].children
        place = body.children[1]
        text = "".join(c if isinstance(c, str) else c.children for c in place.children)
        out.append({"id": int(getattr(li, "data-id")), "cat": cat.children,
                    "status": status.children, "source": place.children[-1].children,
                    "place": text})
    return out


def test_every_path_words_the_feed_by_the_store_s_english_names(demo, now):
    feeds = _paths(demo, now)
    live = feeds["live"]
    assert len(live)
    for name, frame in feeds.items():
        assert frame["id"].tolist() == live["id"].tolist(), name
        assert frame["category_en"].tolist() == live["category_en"].tolist(), name
        assert frame["source_en"].tolist() == live["source_en"].tolist(), name
        stored = _stored(demo, frame["id"].astype(int).tolist())
        en, zh = _shown(frame, "en"), _shown(frame, "zh")
        for row, status, place in zip(en, frame["status"], frame["place"], strict=True):
            minor, minor_en, source, source_en = stored[row["id"]]
            assert minor_en and source_en  # the demo store has English names for all
            assert row["cat"] == minor_en, (name, row)
            assert row["source"] == source_en, (name, row)
            assert row["status"] == STATUS_EN[status]
            for key in ("cat", "source", "status"):
                assert not CJK.search(row[key]), (name, key, row)
            assert row["place"] == f"{place} · {source_en}"
        # the Chinese page as before: the stored names, place · source
        for row, status, place in zip(zh, frame["status"], frame["place"], strict=True):
            minor, _, source, _ = stored[row["id"]]
            assert (row["cat"], row["source"], row["status"]) == (minor, source, status)
            assert row["place"] == f"{place} · {source}"


@pytest.fixture
def bare(demo_store, tmp_path):
    """A copy of the demo store for a test to change as an import may leave it (one per
    test: the first test's changes would hide the alert list's names from the second)."""
    path = tmp_path / "bare.duckdb"
    shutil.copyfile(demo_store, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def test_a_store_without_english_names_shows_the_stored_ones(bare, now):
    """The first feed case's 小类 and source without English names, and the second's 小类
    named twice (a second category of the same 大类 and 小类 names with another English
    name: which one is the case's cannot be told by names, so the English is left out on
    both paths)."""
    live = _paths(bare, now)["live"]
    ids = live["id"].astype(int).tolist()
    first, second = ids[0], next(
        i for i in ids[1:] if _code(bare, i) != _code(bare, ids[0]))
    code = _code(bare, first)
    source = bare.execute("SELECT source FROM incidents WHERE id = ?", [first]).fetchone()[0]
    bare.execute("UPDATE categories SET name_en = NULL WHERE code = ?", [code])
    bare.execute("UPDATE taxonomy SET name_en = NULL WHERE field = 'incident_source' "
                 "AND code = ?", [source])
    twin = _code(bare, second)
    bare.execute("INSERT INTO categories SELECT * REPLACE ('Z9999' AS code, "
                 "'Another name' AS name_en) FROM categories WHERE code = ?", [twin])
    feeds = _paths(bare, now)
    for name, frame in feeds.items():
        stored = _stored(bare, frame["id"].astype(int).tolist())
        shown = {row["id"]: row for row in _shown(frame, "en")}
        # both cases read as stored (Chinese), the first one's source too
        assert CJK.search(shown[first]["cat"]) and CJK.search(shown[second]["cat"]), name
        assert shown[first]["source"] == source, name
        for row in shown.values():
            minor, minor_en, src, src_en = stored[row["id"]]
            if _code(bare, row["id"]) == code:
                assert row["cat"] == minor and minor_en is None, (name, row)
            elif _code(bare, row["id"]) == twin:
                assert row["cat"] == minor, (name, row)  # ambiguous by name: as stored
            else:
                assert row["cat"] == minor_en, (name, row)
            assert row["source"] == (src_en or src), (name, row)
        if name != "live":
            for col in ("category_en", "source_en"):
                assert frame[col].tolist() == feeds["live"][col].tolist(), (name, col)


def _code(con, case_id: int) -> str:
    return con.execute("SELECT category_code FROM incidents WHERE id = ?",
                       [case_id]).fetchone()[0]


def _alerting_moment(con, now: datetime) -> datetime:
    """``now``, or a later moment when the city has no overdue or due-soon case at ``now``
    (the demo's last hour decides: at some hours none is): when the first open case's
    deadline nears (its 临期 moment, open_items.warn_at), so the alert list has one."""
    first = con.execute("SELECT min(warn_at) FROM open_items WHERE kind = 'case' "
                        "AND alerting AND NOT is_void").fetchone()[0]
    return max(now, first)


def _alert_paths(con, now) -> dict:
    """The city's overdue and due-soon alert items at ``now`` by each path: live
    (open_items), the case tables and the raw tables."""
    assert open_items.covers(con, now)
    paths = {"live": od.alerts(con, CITY, now),
             "tables": od.alerts(con, CITY, now, tables=True),
             "raw": od.alerts(con, CITY, now, tables=False)}
    return {name: items[items["kind"].isin(["overdue", "due_soon"])].reset_index(drop=True)
            for name, (_, items) in paths.items()}


def test_the_alert_list_names_its_cases_by_one_rule_on_every_path(bare, now):
    """An overdue or due-soon case's English 小类 is found by its 大类 and 小类 names on
    every path (overview/feed_names), as the feed's is. A 小类 name shared by two 大类 with
    other English names (an imported taxonomy may repeat 其他, say) is told apart by its
    大类: the live path found it by the 小类 name alone and showed it in Chinese, while the
    other paths, by the category code, showed the English name. Expected here by SQL of
    the test's own: the one English name of the case's (大类, 小类) pair, or none."""
    moment = _alerting_moment(bare, now)
    items = _alert_paths(bare, moment)["live"]
    named = [i for i in items["id"].astype(int) if bare.execute(  # one English name
        "SELECT count(DISTINCT coalesce(t.name_en, '')) = 1 AND any_value(t.name_en) "
        "IS NOT NULL FROM categories AS c JOIN categories AS t ON t.major_name = "
        "c.major_name AND t.minor_name = c.minor_name WHERE c.code = ?",
        [_code(bare, i)]).fetchone()[0]]
    assert named
    case = named[0]
    code = _code(bare, case)
    # another 大类's category with the same 小类 name and another English name
    bare.execute("INSERT INTO categories SELECT * REPLACE ('Z9998' AS code, "
                 "major_name || '乙' AS major_name, 'Other ' || name_en AS name_en) "
                 "FROM categories WHERE code = ?", [code])
    paths = _alert_paths(bare, moment)
    for name, frame in paths.items():
        assert frame["id"].tolist() == paths["live"]["id"].tolist(), name
        expected = dict(bare.execute("""
            SELECT i.id, CASE WHEN count(DISTINCT coalesce(t.name_en, '')) = 1
                              THEN any_value(t.name_en) END
            FROM incidents AS i
            JOIN categories AS c ON c.code = i.category_code
            JOIN categories AS t ON t.major_name = c.major_name
                                AND t.minor_name = c.minor_name
            WHERE list_contains(?, i.id) GROUP BY i.id""",
            [frame["id"].astype(int).tolist()]).fetchall())
        got = {int(i): (None if pd.isna(t) else t)
               for i, t in zip(frame["id"], frame["title_en"], strict=True)}
        assert got == expected, name
        assert got[case] is not None and not CJK.search(got[case]), name
