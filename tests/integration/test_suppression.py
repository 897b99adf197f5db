"""Issue 15 finding 2: person lists and small counts.

Person-level endpoints follow the 重点人群 page: roles without clearance get 403, audited.
Counts of key persons: every cell a user without clearance can fetch (``/api/persons/counts``
at every level and region of the jurisdiction, the 重点人群 page's map labels, category bars
and total) is collected, checked against an independent count of the raw rows, and then
attacked: every linear relation between the published cells (parent = Σ children, total =
Σ categories) and the markers' bounds go into linear programs (``disclosure_attack``); no
hidden count of 1–4 may come out pinned.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta

import pytest
from auth_helpers import DEMO_PASSWORDS, callback_request, login_client, post_callback
from disclosure_attack import TOTAL, attack

from dashboard import ids

UNCLEARED = ("county_analyst", "town_analyst", "village_analyst", "grids_worker")
ROOTS = {"county_analyst": "320612", "town_analyst": "320612001",
         "village_analyst": "320612001001", "grids_worker": "320612001001002"}
LEVELS = {"county": 6, "town": 9, "village": 12, "grid": 15}
_COUNT = re.compile(r"[0-9,]+")


@pytest.fixture(scope="module")
def sup_app(settings):
    from dashboard import create_app

    return create_app(settings)


@pytest.fixture(scope="module")
def users(sup_app):
    app = sup_app
    out = {}
    for name in (*UNCLEARED, "city_leader"):
        client = app.server.test_client()
        login_client(client, name, DEMO_PASSWORDS[name])
        out[name] = client
    return out


def truth(demo, root: str) -> dict:
    """Persons listed at the end of today (store time) per unit (every level) and
    category, and per unit in total, counted with pandas from the raw rows."""
    meta = dict(demo.execute("SELECT key, value FROM meta").fetchall())
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo(meta.get("timezone", "Asia/Shanghai"))).replace(tzinfo=None)
    end = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    rows = demo.execute("SELECT grid_code, category, registered_at, removed_at "
                        "FROM key_persons").df()
    rows = rows[rows["grid_code"].str.startswith(root) & (rows["registered_at"] < end)
                & (rows["removed_at"].isna() | (rows["removed_at"] >= end))]
    out: dict = {}
    for length in (4, 6, 9, 12, 15):
        if length < len(root):
            continue
        unit = rows["grid_code"].str[:length]
        for (u, c), n in rows.groupby([unit, rows["category"]]).size().items():
            out[(u, c)] = int(n)
            out[(u, TOTAL)] = out.get((u, TOTAL), 0) + int(n)
    return out


def units_below(demo, root: str) -> dict[str, list[str]]:
    grids = [r[0] for r in demo.execute("SELECT code FROM grids WHERE starts_with(code, ?)",
                                        [root]).fetchall()]
    return {level: sorted({g[:n] for g in grids}) for level, n in LEVELS.items()
            if n >= len(root)}


def fetch_api(client, demo, root: str) -> dict:
    """Every (unit, category) cell of /api/persons/counts for every region and level."""
    published: dict = {}
    below = units_below(demo, root)
    regions = [root] + [u for level in ("town", "village") for u in below.get(level, [])
                        if len(u) > len(root)]
    for region in regions:
        for level, n in LEVELS.items():
            if n <= len(region) and not (n == 15 and len(region) == 15):
                continue
            response = client.get("/api/persons/counts",
                                  query_string={"region": region, "by": level})
            assert response.status_code == 200, (region, level, response.data[:200])
            for row in response.get_json()["counts"]:
                key = (row["unit"], row["category"])
                # the same cell asked for at another level: the same answer
                assert published.setdefault(key, row["count"]) == row["count"], key
    return published


def fetch_page(app, client, region: str) -> dict:
    """The 重点人群 page's cells for ``region``: map labels (units' totals), category bars
    (the region's categories) and the headline total."""
    body = callback_request(app, f"{ids.page_id('persons', 'total', 'text')}.children",
                            [{"id": ids.FILTER_URL, "property": "search",
                              "value": f"?region={region}"}])
    response = post_callback(client, body)
    assert response.status_code == 200, response.data[:300]
    out: dict = {}
    answer = response.get_json()["response"]
    for prop in answer.values():
        hideout = prop.get("hideout")
        if isinstance(hideout, dict):
            for code, label in hideout["labels"].items():
                unit = code.rstrip("0") if len(code) == 12 else code
                unit = next(code[:n] for n in (4, 6, 9, 12, 15) if n >= len(unit))
                out[(unit, TOTAL)] = _parse(label)
        figure = prop.get("figure")
        if isinstance(figure, dict) and figure.get("data"):
            trace = figure["data"][0]
            keys = trace.get("customdata") or []
            texts = trace.get("text") or []
            if texts and all(isinstance(k, str) and not k[:1].isdigit() for k in keys):
                for key, text in zip(keys, texts, strict=True):
                    out[(region, key)] = _parse(text)
        children = prop.get("children")
        if isinstance(children, str) and children.startswith("期末在册重点人员"):
            out[(region, TOTAL)] = _parse(children.split()[1])
    return {k: v for k, v in out.items() if v is not None}


def _parse(text: str):
    if text in ("<5", "*"):
        return text
    return int(text.replace(",", "")) if _COUNT.fullmatch(text) else None


@pytest.mark.parametrize("user", UNCLEARED)
def test_person_level_endpoints_refuse_uncleared_roles_and_audit(users, settings, user):
    client = users[user]
    for path in ("/api/persons", "/api/persons/export.csv", "/api/persons/1",
                 "/api/persons/1?clear=1"):
        with sqlite3.connect(settings.auth_db) as con:
            before = con.execute("SELECT count(*) FROM audit WHERE username = ? AND "
                                 "action = 'denied'", (user,)).fetchone()[0]
        response = client.get(path)
        assert response.status_code == 403, path
        assert "persons" not in response.get_data(as_text=True)
        with sqlite3.connect(settings.auth_db) as con:
            after = con.execute("SELECT count(*) FROM audit WHERE username = ? AND "
                                "action = 'denied'", (user,)).fetchone()[0]
        assert after == before + 1, path
    # a cleared role still gets them (masked)
    assert users["city_leader"].get("/api/persons/export.csv").status_code == 200


@pytest.mark.parametrize("user", ["county_analyst", "town_analyst", "grids_worker"])
def test_no_sum_or_difference_of_published_counts_pins_a_small_one(sup_app, users, demo,
                                                                   user):
    app = sup_app
    root = ROOTS[user]
    client = users[user]
    true = truth(demo, root)
    published = fetch_api(client, demo, root)
    regions = [root] + (units_below(demo, root).get("town", [])[1:3]
                        if len(root) == 6 else [])
    for region in regions:
        for key, value in fetch_page(app, client, region).items():
            assert published.setdefault(key, value) == value, key
    assert any(v == "<5" for v in published.values())
    # what is shown is true; what is hidden is what its marker says
    for key, value in published.items():
        n = true.get(key, 0)
        if value == "<5":
            assert n < 5, key
        elif value == "*":
            assert n >= 5, key
        else:
            assert value == n, (key, value, n)
    pinned = attack(published, true)
    assert pinned == [], pinned[:5]


def test_the_attack_finds_what_primary_suppression_alone_leaves_open(demo):
    """The harness is not vacuous: with only "<5" on counts of 1–4 (what the API did),
    town totals minus their villages pin small counts."""
    true = truth(demo, "320612001")
    naive = {k: ("<5" if 0 < n < 5 else n) for k, n in true.items()}
    for unit in units_below(demo, "320612001")["grid"]:  # zeros are shown as 0
        for c in {c for _, c in true}:
            naive.setdefault((unit, c), 0)
    for level in ("village",):
        for unit in units_below(demo, "320612001")[level]:
            for c in {c for _, c in true}:
                naive.setdefault((unit, c), 0)
    assert attack(naive, true)


def test_the_same_pattern_at_every_level_and_a_cleared_user_sees_counts(users, demo):
    published = fetch_api(users["town_analyst"], demo, "320612001")  # asserts consistency
    exact = users["city_leader"].get("/api/persons/counts",
                                     query_string={"region": "320612001", "by": "village"})
    values = [r["count"] for r in exact.get_json()["counts"]]
    assert all(isinstance(v, int) for v in values)
    assert all(v in ("<5", "*") or isinstance(v, int) for v in published.values())
