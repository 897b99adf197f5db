"""Authorization end to end, on a copy of the demo store with a canary in every village.

Every callback of ``app.callback_map`` is covered generically (callbacks added later are
tested without edits): without a session it is denied with no data; with each demo user
and attack values in every input, no response carries a canary from outside the user's
jurisdiction, a clear ID number or a clear phone number. The person-data endpoints are
tested the same way, and every person-level response must have left an audit row.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import duckdb
import pytest
from auth_helpers import DEMO_PASSWORDS, ORIGIN, login_client, post_callback
from dash import Input, Output

from dashboard import create_app
from dashboard.auth.demo import DEMO_ACCOUNTS, seed_demo_users
from dashboard.auth.store import AuthStore, decode_ids
from dashboard.settings import Settings

CANARY = re.compile(r"CANARY-([0-9]{15})")
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
PHONE = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")
CANARY_ID_BASE = 50_000_000
OTHER_CITY_GRID = "320702001001001"  # 连云港市: not in the store's city at all
# A grid worker with several areas works in the first until it switches (the generic
# tests never switch; test_a_worker_with_several_areas_works_in_one_at_a_time does).
USERS = {name: (role, region.split(",")[0], pii)
         for name, role, region, _, pii in DEMO_ACCOUNTS}
GRIDS_WORKER_AREAS = next(r for n, _, r, _, _ in DEMO_ACCOUNTS if n == "grids_worker").split(",")
ATTACK_CODES = [
    "320612001002",  # sibling village (of 东市社区)
    "320612001002001",  # a grid of the sibling village
    "320612001001002",  # sibling grid in the same village
    "320612001",  # parent town (short)
    "320612001000",  # parent town (12 digits)
    "320612",  # parent county
    "320613000000",  # another county
    "3206",  # the city
    "320600000000",
    "3207",  # another city
    OTHER_CITY_GRID,
    "320612001001",  # own village of the low tiers
    "32061200100",  # 11 digits
    "%",
    "' OR 1=1 --",
    "320612001001' OR '1'='1",
    "",
    None,
    "３２０６１２００１００１",  # full-width digits
    ["320613000000"],
    {"code": "320613000000"},
    -1,
]


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def canary_store(demo_store, tmp_path_factory):
    """The session demo store copied, with a canary incident and key person per village
    (and one in another city) whose text fields carry ``CANARY-<grid code>``. The canary
    persons are in a real category (独居老人): a category of their own each would make the
    protected count table of the city 2,000 categories wide (every unit × category cell)."""
    path = tmp_path_factory.mktemp("canary") / "canary.duckdb"
    shutil.copy(demo_store, path)
    con = duckdb.connect(str(path))
    con.execute("""
        CREATE TEMP TABLE canary AS
        SELECT row_number() OVER (ORDER BY village_code) + $base AS id,
               min(code) AS grid_code
        FROM grids GROUP BY village_code
    """, {"base": CANARY_ID_BASE})
    con.execute("INSERT INTO canary VALUES ($id, $grid)",
                {"id": CANARY_ID_BASE, "grid": OTHER_CITY_GRID})
    con.execute("""
        INSERT INTO key_persons (id, grid_code, category, risk_level, gender, birth_year,
                                 visit_interval_days, registered_at, removed_at)
        SELECT id, grid_code, '独居老人', '高', '女', 1940, 7,
               TIMESTAMP '2020-01-01', NULL FROM canary
    """)
    con.execute("""
        INSERT INTO key_person_pii (person_id, name, id_number, phone, address)
        SELECT id, 'CANARY-' || grid_code,
               '32061219400101' || lpad(CAST(id % 10000 AS VARCHAR), 4, '0'),
               '139' || lpad(CAST(id % 100000000 AS VARCHAR), 8, '0'),
               'CANARY-' || grid_code || '路1号' FROM canary
    """)
    con.execute("""
        INSERT INTO incidents
        SELECT i.* REPLACE (c.id AS id, 'CANARY-' || c.grid_code AS case_no,
                            c.grid_code AS grid_code)
        FROM canary c CROSS JOIN (SELECT * FROM incidents ORDER BY id DESC LIMIT 1) i
    """)
    # The import log is city-wide operational data (数据质量 page): a file named after a
    # grid of another county must reach city-level users and admins only.
    con.execute("""
        INSERT INTO import_batches (id, kind, source_file, file_sha256, batch_no, first_line,
                                    last_line, rows_in, inserted, updated, unchanged,
                                    quarantined, outside_grid, via, started_at, finished_at)
        SELECT coalesce((SELECT max(id) FROM import_batches), 0) + 1, 'incidents',
               'CANARY-' || min(code) || '.csv', repeat('0', 64), 1, 1, 2, 1, 0, 0, 0, 1, 0,
               'cli', TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01'
        FROM grids WHERE starts_with(code, '320613')
    """)
    con.execute("""
        INSERT INTO quarantine
        SELECT id, kind, source_file, 2, 'CANARY-' || substr(source_file, 8, 15), NULL,
               NULL, NULL
        FROM import_batches WHERE starts_with(source_file, 'CANARY-')
    """)
    # The stored at-risk queue (时效 page, overview alerts): a canary score per village,
    # each listed first (probability 1), so a read without the scope would show others'.
    con.execute("""
        INSERT INTO foresight_scores BY NAME
        SELECT 'risk' AS kind, id AS case_id, 'CANARY-' || grid_code AS case_no, grid_code,
               'E0102' AS category_code, NULL AS dept_code, 'dispatched' AS stage,
               TIMESTAMP '2099-01-01' AS deadline_at,
               (SELECT coalesce(max(asof_at), TIMESTAMP '2026-01-01') FROM foresight_scores)
                   AS asof_at,
               1.0 AS probability, 5.0 AS remaining_hours, 1 AS queue,
               'CANARY-' || grid_code AS reasons, 'canary' AS model_version
        FROM canary
    """)
    # The stored surge alerts (异常预警: overview alert list, kiosk jump, 预警数): a canary
    # alert per village, each the strongest (q 0, so also a critical alert), found by the
    # newest run for its day.
    con.execute("""
        INSERT INTO foresight_scores BY NAME
        WITH last_run AS (SELECT coalesce(max(asof_at), TIMESTAMP '2026-01-01') AS t
                          FROM foresight_scores)
        SELECT 'surge' AS kind, grid_code, 'C01' AS category_code, 'village' AS stage,
               last_run.t AS asof_at, 1.0 AS probability, 9 AS queue,
               'CANARY-' || grid_code AS reasons, 'canary' AS model_version,
               CAST(last_run.t AS DATE) AS day, 1 AS window_days, 9 AS observed,
               1.0 AS expected,
               1.0 AS baseline_per_day, 0.0 AS p_value, 0.0 AS q_value
        FROM canary CROSS JOIN last_run
    """)
    villages = con.execute("SELECT count(*) FROM regions WHERE level = 'village'").fetchone()[0]
    assert con.execute("SELECT count(*) FROM canary").fetchone()[0] == villages + 1
    con.execute("CHECKPOINT")
    con.close()
    return path


@pytest.fixture(scope="module")
def pii_values(canary_store):
    con = duckdb.connect(str(canary_store), read_only=True)
    ids, phones = zip(*con.execute("SELECT id_number, phone FROM key_person_pii").fetchall(),
                      strict=True)
    con.close()
    return set(ids), set(phones)


@pytest.fixture(scope="module")
def sec_settings(canary_store):
    auth_db = canary_store.with_name("canary-auth.sqlite")
    seed_demo_users(AuthStore(auth_db))
    return Settings.load(store=canary_store, demo_on_start=False, auth_db=str(auth_db))


@pytest.fixture(scope="module")
def sec_app(sec_settings):
    app = create_app(sec_settings)
    app.server.test_client().get("/login")  # the first request registers the pages router
    return app


@pytest.fixture(scope="module")
def clients(sec_app):
    out = {}
    for name in USERS:
        client = sec_app.server.test_client()
        login_client(client, name, DEMO_PASSWORDS[name])
        out[name] = client
    return out


@pytest.fixture(scope="module")
def audit_db(sec_settings):
    return sec_settings.auth_db


# --- helpers ---------------------------------------------------------------------------


def _parse_id(ident: str):
    return json.loads(ident) if ident.startswith("{") else ident


def _concrete(ident, value):
    """A concrete component id for a (possibly pattern-matching) id string."""
    parsed = _parse_id(ident)
    if not isinstance(parsed, dict):
        return parsed, False
    wild = any(isinstance(v, list) for v in parsed.values())
    fill = value if isinstance(value, str | int) and value != "" else "0"
    return {k: (fill if isinstance(v, list) else v) for k, v in parsed.items()}, wild


def _deps(specs, value):
    out = []
    for spec in specs:
        parsed = _parse_id(spec["id"])
        cid, _ = _concrete(spec["id"], value)
        entry = {"id": cid, "property": spec["property"], "value": value}
        if isinstance(parsed, dict) and any(v in (["ALL"], ["ALLSMALLER"])
                                            for v in parsed.values()):
            out.append([entry])
        else:
            out.append(entry)
    return out


def _outputs(key: str, value):
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    outs = []
    for part in parts:
        if "." not in part:  # a callback without outputs is keyed by a bare hash
            continue
        ident, prop = part.rsplit(".", 1)
        parsed = _parse_id(ident)
        cid, _ = _concrete(ident, value)
        entry = {"id": cid, "property": prop}
        if isinstance(parsed, dict) and ["ALL"] in parsed.values():
            entry = [entry]
        outs.append(entry)
    if key.startswith(".."):
        return outs
    return outs[0] if outs else []


def callback_body(app, key: str, value) -> dict:
    spec = app.callback_map[key]
    inputs = _deps(spec["inputs"], value)
    first = spec["inputs"][0] if spec["inputs"] else None
    changed = [f"{first['id']}.{first['property']}"] if first else []
    return {"output": key, "outputs": _outputs(key, value), "inputs": inputs,
            "state": _deps(spec["state"], value), "changedPropIds": changed}


def server_callbacks(app) -> list[str]:
    keys = [k for k, v in app.callback_map.items() if v.get("callback") is not None]
    assert keys, "no server-side callbacks found"
    return keys


def scan(text: str, user: str, pii_values, allow_clear: bool = False) -> None:
    """Fail on a canary outside the user's region, or on clear personal data."""
    _, region, _ = USERS[user]
    for grid in CANARY.findall(text):
        assert grid.startswith(region), f"{user} ({region}) received canary of {grid}"
    if allow_clear:
        return
    ids, phones = pii_values
    leaked = [m for m in ID_NUMBER.findall(text) if m in ids]
    assert not leaked, f"clear ID numbers to {user}: {leaked[:3]}"
    leaked = [m for m in PHONE.findall(text) if m in phones]
    assert not leaked, f"clear phone numbers to {user}: {leaked[:3]}"


def audit_count(path, username: str) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT count(*) FROM audit WHERE username = ? AND action <> 'login'",
                           (username,)).fetchone()[0]


def last_audit(path, username: str) -> dict:
    with sqlite3.connect(path) as con:
        con.row_factory = sqlite3.Row
        return dict(con.execute("SELECT * FROM audit WHERE username = ? ORDER BY id DESC "
                                "LIMIT 1", (username,)).fetchone())


# --- callbacks ---------------------------------------------------------------------------


def test_the_app_has_the_routers_and_page_callbacks(sec_app):
    keys = server_callbacks(sec_app)
    assert any("_pages_content" in k for k in keys)
    assert any(k.startswith("..overview-") or k.startswith("overview-") for k in keys)


def test_every_callback_without_a_session_is_denied(sec_app):
    client = sec_app.server.test_client()
    for key in server_callbacks(sec_app):
        for value in ("320612001001", "/", 1):
            response = post_callback(client, callback_body(sec_app, key, value))
            assert response.status_code == 401, (key, response.status_code)
            body = response.get_data(as_text=True)
            assert "response" not in response.get_json(), key
            assert "CANARY" not in body


def test_every_callback_with_a_forged_session_cookie_is_denied(sec_app):
    client = sec_app.server.test_client()
    client.set_cookie("gridcmd_session", "forged-" + "x" * 40)
    for key in server_callbacks(sec_app):
        response = post_callback(client, callback_body(sec_app, key, None))
        assert response.status_code == 401, key


def attack_every_callback(app, client, user: str, pii_values) -> int:
    """POST every server callback with every attack value in all its inputs and scan the
    answers; returns how many were answered with 200."""
    answered = 0
    for key in server_callbacks(app):
        for value in ATTACK_CODES:
            response = post_callback(client, callback_body(app, key, value))
            text = response.get_data(as_text=True)
            # wrongly typed inputs are a 400, never a 500 (issue 15)
            assert response.status_code in (200, 204, 400, 403, 404), \
                (key, value, response.status_code)
            assert "Traceback" not in text and 'File "' not in text, (key, value)
            if response.status_code == 200:
                answered += 1
            scan(text, user, pii_values)
    return answered


@pytest.mark.parametrize("user", list(USERS))
def test_callbacks_with_attack_values_leak_nothing(sec_app, clients, pii_values, user):
    # Not vacuous: benign inputs still get answers where the role may call the callback.
    assert attack_every_callback(sec_app, clients[user], user, pii_values) > 0


def test_the_harness_catches_a_leaky_callback(sec_settings, pii_values):
    """A callback that trusts its input (as a careless new page might) is caught."""
    app = create_app(sec_settings)
    store = app.server.extensions["gridcmd_store"]

    @app.callback(Output("overview-leak-text", "children"),
                  Input("overview-leak-input", "value"))
    def leak(code):
        rows = store.cursor().execute(
            "SELECT case_no FROM incidents WHERE starts_with(case_no, 'CANARY-' || ?)",
            [str(code or "")]).fetchall()
        return [r[0] for r in rows]

    client = app.server.test_client()
    login_client(client, *("village_analyst", DEMO_PASSWORDS["village_analyst"]))
    with pytest.raises(AssertionError, match="received canary of 320612001002"):
        attack_every_callback(app, client, "village_analyst", pii_values)


def test_callbacks_get_the_session_scope_through_access(sec_settings):
    """What the page callbacks do: ``access.narrow(access.user_scope(), code)``."""
    from dashboard import access

    app = create_app(sec_settings)

    @app.callback(Output("overview-scope-text", "children"),
                  Input("overview-scope-input", "value"))
    def show_scope(code):
        scope = access.narrow(access.user_scope(), code)
        return f"{scope.region}/{scope.role}"

    body = callback_body(app, "overview-scope-text.children", None)
    anonymous = app.server.test_client()
    assert post_callback(anonymous, body).status_code == 401
    for user, (role, region, _) in USERS.items():
        client = app.server.test_client()
        login_client(client, user, DEMO_PASSWORDS[user])
        answer = post_callback(client, body).get_json()["response"]
        assert answer["overview-scope-text"]["children"] == f"{region}/{role}"
        sibling = callback_body(app, "overview-scope-text.children", "320613000000")
        expected = 200 if "320613".startswith(region) else 403
        assert post_callback(client, sibling).status_code == expected, user
        bad = callback_body(app, "overview-scope-text.children", "' OR 1=1 --")
        assert post_callback(client, bad).status_code == 400


def test_callbacks_need_json_and_the_same_origin(sec_app, clients):
    client = clients["city_leader"]
    key = next(k for k in server_callbacks(sec_app) if "overview-" in k)
    body = callback_body(sec_app, key, None)  # every input empty: the user's own region
    assert post_callback(client, body).status_code == 200
    assert client.post("/_dash-update-component", json=body).status_code == 403  # no Origin
    evil = client.post("/_dash-update-component", json=body,
                       headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    form = client.post("/_dash-update-component", data=json.dumps(body),
                       headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
    assert form.status_code == 415
    assert "response" not in form.get_data(as_text=True)


def test_screen_is_held_to_the_overview(sec_app, clients):
    screen = clients["screen"]
    key = next(k for k in server_callbacks(sec_app) if "overview-" in k)
    assert post_callback(screen, callback_body(sec_app, key, None)).status_code == 200
    # Callbacks of other pages (by output id prefix) and the router on other paths: denied.
    fake = {"output": "admin-audit-table.children", "outputs": {"id": "admin-audit-table",
            "property": "children"}, "inputs": [], "state": [], "changedPropIds": []}
    assert post_callback(screen, fake).status_code in (400, 403)  # refused either way
    router = next(k for k in server_callbacks(sec_app) if "_pages_content" in k)
    for path in ("/admin/audit", "/analysis", "/persons", "/cases"):
        body = callback_body(sec_app, router, path)
        assert post_callback(screen, body).status_code == 403, path
    assert post_callback(screen, callback_body(sec_app, router, "/")).status_code == 200
    for path in ("/api/persons", "/api/persons/1", "/api/persons/export.csv", "/admin/audit",
                 "/analysis", "/cases", "/export/cases.csv", "/export/cases.xlsx",
                 "/mygrid"):
        assert screen.get(path).status_code == 403, path
    # The same router call is fine for an analyst on an ordinary page.
    analyst = clients["county_analyst"]
    assert post_callback(analyst, callback_body(sec_app, router, "/analysis")).status_code \
        == 200
    assert post_callback(analyst, callback_body(sec_app, router, "/admin/audit")).status_code \
        == 403


# --- person data ---------------------------------------------------------------------------


PERSON_USERS = [u for u in USERS if USERS[u][0] != "screen"]


@pytest.mark.parametrize("user", PERSON_USERS)
def test_person_list_is_scoped_masked_and_audited(sec_app, clients, pii_values, audit_db,
                                                  user):
    client = clients[user]
    role, region, pii = USERS[user]
    for value in ATTACK_CODES:
        if not isinstance(value, str):
            continue
        before = audit_count(audit_db, user)
        response = client.get("/api/persons", query_string={"region": value, "limit": 500})
        text = response.get_data(as_text=True)
        scan(text, user, pii_values)
        if not pii:  # person lists only with clearance, as on the 重点人群 page
            assert response.status_code in (400, 403) and "persons" not in text, value
            continue
        assert response.status_code in (200, 400, 403), (value, response.status_code)
        if response.status_code == 200:
            persons = response.get_json()["persons"]
            assert all(p["grid_code"].startswith(region) for p in persons)
            assert all(p["masked"] for p in persons)
            assert audit_count(audit_db, user) == before + 1, value
            row = last_audit(audit_db, user)
            assert row["action"] == "list" and row["role"] == role
            assert decode_ids(row["ids"]) == [p["id"] for p in persons]
        else:
            assert "persons" not in text
            assert audit_count(audit_db, user) == before


@pytest.mark.parametrize("user", ["grid_worker"])
def test_own_canary_is_visible(clients, user):
    """The positive control: the canary planted in the user's own village is found."""
    _, region, _ = USERS[user]
    response = clients[user].get("/api/persons", query_string={"limit": 500})
    assert response.status_code == 200, response.get_data(as_text=True)
    persons = response.get_json()["persons"]
    assert [p for p in persons if p["id"] >= CANARY_ID_BASE
            and p["grid_code"].startswith(region)]


def _canary_ids(canary_store) -> dict[str, int]:
    con = duckdb.connect(str(canary_store), read_only=True)
    rows = con.execute("SELECT grid_code, id FROM key_persons WHERE id >= $b",
                       {"b": CANARY_ID_BASE}).fetchall()
    con.close()
    return dict(rows)


@pytest.mark.parametrize("user", PERSON_USERS)
def test_person_detail_outside_scope_gives_nothing(clients, canary_store, pii_values,
                                                   audit_db, user):
    client = clients[user]
    _, region, pii = USERS[user]
    canaries = _canary_ids(canary_store)
    for prefix in ("320702", "320612001001", "320612001002", "320613001001", "320682"):
        grid = min(g for g in canaries if g.startswith(prefix))
        pid = canaries[grid]
        for clear in ("", "1"):
            before = audit_count(audit_db, user)
            response = client.get(f"/api/persons/{pid}", query_string={"clear": clear})
            text = response.get_data(as_text=True)
            inside = grid.startswith(region)
            if not inside:
                assert response.status_code in (403, 404), (grid, response.status_code)
                assert "CANARY" not in text
                if pii:  # an id outside the jurisdiction gives nothing, not even a log line
                    assert audit_count(audit_db, user) == before
                else:  # refused before the id is looked up; the attempt is audited
                    assert response.status_code == 403
                    assert audit_count(audit_db, user) == before + 1
                    row = last_audit(audit_db, user)
                    assert row["action"] == "denied" and decode_ids(row["ids"]) == []
                continue
            if not pii:  # no person-level data without clearance; the refusal is audited
                assert response.status_code == 403
                assert audit_count(audit_db, user) == before + 1
                assert last_audit(audit_db, user)["action"] == "denied"
                continue
            assert response.status_code == 200
            person = response.get_json()["person"]
            assert person["id"] == pid
            assert person["masked"] is (not clear)
            scan(text, user, pii_values, allow_clear=bool(clear and pii))
            assert audit_count(audit_db, user) == before + 1
            row = last_audit(audit_db, user)
            assert row["action"] == ("detail_clear" if clear else "detail")
            assert decode_ids(row["ids"]) == [pid]


def test_cleared_detail_shows_clear_values(clients, canary_store, pii_values):
    pid = _canary_ids(canary_store)["320612001001001"]
    person = clients["grid_worker"].get(f"/api/persons/{pid}?clear=1").get_json()["person"]
    assert person["name"] == "CANARY-320612001001001"
    assert person["id_number"] in pii_values[0]
    masked = clients["grid_worker"].get(f"/api/persons/{pid}").get_json()["person"]
    assert masked["name"] == "C" + "*" * (len("CANARY-320612001001001") - 1)
    assert re.fullmatch(r"3\*{16}[0-9X]", masked["id_number"])
    assert re.fullmatch(r"139\*{4}[0-9]{4}", masked["phone"])


@pytest.mark.parametrize("user", PERSON_USERS)
def test_export_is_scoped_masked_and_audited(clients, pii_values, audit_db, user):
    client = clients[user]
    _, region, pii = USERS[user]
    before = audit_count(audit_db, user)
    response = client.get("/api/persons/export.csv")
    if not pii:
        assert response.status_code == 403 and "CANARY" not in response.get_data(as_text=True)
        assert last_audit(audit_db, user)["action"] == "denied"
        return
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    scan(text, user, pii_values)  # exports are masked even for cleared users
    assert audit_count(audit_db, user) == before + 1
    row = last_audit(audit_db, user)
    assert row["action"] == "export"
    lines = text.strip().splitlines()
    assert len(decode_ids(row["ids"])) == len(lines) - 1
    assert response.headers["Cache-Control"] == "no-store"
    for value in ("320613", "3207", "%", "' OR 1=1 --"):
        if value.startswith(region):
            continue
        denied = client.get("/api/persons/export.csv", query_string={"region": value})
        assert denied.status_code in (400, 403)
        assert "CANARY" not in denied.get_data(as_text=True)


@pytest.mark.parametrize("user", list(USERS))
def test_small_counts_are_suppressed_without_clearance(clients, user):
    _, region, pii = USERS[user]
    by = "grid" if len(region) >= 12 else "village"
    response = clients[user].get("/api/persons/counts", query_string={"by": by})
    assert response.status_code == 200
    counts = response.get_json()["counts"]
    assert counts and all(c["unit"].startswith(region) for c in counts)
    values = [c["count"] for c in counts]
    if pii:
        assert all(isinstance(v, int) for v in values)
    else:
        assert all(v in ("<5", "*") or (isinstance(v, int) and v >= 5) for v in values)
        assert "<5" in values
    outside = clients[user].get("/api/persons/counts", query_string={"region": "3207"})
    assert outside.status_code == 403


# --- pages, headers, limits ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/analysis", "/_dash-layout", "/_dash-dependencies",
                                  "/geo/320600000000.geojson", "/api/persons",
                                  "/api/persons/1", "/api/persons/export.csv",
                                  "/api/persons/counts", "/admin/audit", "/_reload-hash",
                                  "/mygrid"])
def test_every_route_needs_a_session(sec_app, path):
    response = sec_app.server.test_client().get(path, headers={"Accept": "text/html"})
    if path in ("/", "/analysis", "/admin/audit", "/mygrid"):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert response.status_code == 401
        assert response.get_json() == {"error": "login required", "status": 401}


def test_exempt_routes_work_without_a_session(sec_app):
    client = sec_app.server.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/_favicon.ico").status_code == 200
    assert client.get("/assets/gridcmd.css").status_code == 200
    assert client.get("/auth/static/auth.css").status_code == 200
    # Not ours to authenticate: the intake endpoint does its own bearer-token check (and,
    # with no intake token configured, is switched off: 503, never the login's 401).
    assert client.post("/api/intake/incidents").status_code == 503
    assert client.get("/kiosk/not-a-token").status_code == 403


def test_security_headers(sec_app, clients):
    page = clients["city_leader"].get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'sha256-" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    login = sec_app.server.test_client().get("/login")
    assert "unsafe-eval" not in login.headers["Content-Security-Policy"]
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_session_cookie_flags(sec_app):
    response = login_client(sec_app.server.test_client(), "admin", DEMO_PASSWORDS["admin"])
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("gridcmd_session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie


def test_login_is_rate_limited_but_polling_is_not(sec_app, sec_settings, clients):
    # an account of its own: failed logins now count per account in the shared database
    AuthStore(sec_settings.auth_db).add_user("rate_analyst", "analyst", "320612",
                                             "Rate-limit-42", city="3206")
    client = sec_app.server.test_client()
    codes = [login_client(client, "rate_analyst", "wrong-password", expect_ok=False)
             .status_code for _ in range(7)]
    assert codes[:5] == [401] * 5
    assert codes[-1] == 429
    # The right password is refused too while the limit lasts (no oracle by timing out).
    assert login_client(client, "rate_analyst", "Rate-limit-42",
                        expect_ok=False).status_code == 429
    # A big screen polling the overview is never throttled.
    screen = clients["screen"]
    key = next(k for k in server_callbacks(sec_app) if "overview-" in k)
    body = callback_body(sec_app, key, None)
    body["changedPropIds"] = [body["changedPropIds"][0]]
    codes = {post_callback(screen, body).status_code for _ in range(150)}
    assert codes == {200}


def test_login_form_needs_its_csrf_token_and_origin(sec_app):
    client = sec_app.server.test_client()
    client.get("/login")
    data = {"username": "admin", "password": DEMO_PASSWORDS["admin"], "csrf_token": "guess"}
    assert client.post("/login", data=data, headers={"Origin": ORIGIN}).status_code == 400
    form = client.get("/login").get_data(as_text=True)
    data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/login", data=data,
                       headers={"Origin": "http://evil.example"}).status_code == 400
    # Each form carries a fresh token (the refused attempt replaced it).
    form = client.get("/login").get_data(as_text=True)
    data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/login", data=data, headers={"Origin": ORIGIN}).status_code == 303


def test_errors_carry_no_traceback(sec_app, clients):
    client = clients["city_leader"]
    for body in ({"output": "overview-total-value.children"}, {"output": 5}, ["x"],
                 {"output": "..x.y...z..", "inputs": "nonsense"}):
        response = post_callback(client, body)
        text = response.get_data(as_text=True)
        assert response.status_code in (400, 403)
        assert "Traceback" not in text and "File " not in text
        assert response.is_json


def test_admin_sees_the_audit_log_others_do_not(clients):
    page = clients["admin"].get("/admin/audit")
    assert page.status_code == 200
    assert "审计日志" in page.get_data(as_text=True)
    for user in ("city_leader", "county_analyst", "grid_worker", "screen"):
        assert clients[user].get("/admin/audit").status_code == 403


def test_logout_and_disable_revoke_at_once(sec_app, sec_settings):
    store = AuthStore(sec_settings.auth_db)
    store.add_user("temp_analyst", "analyst", "320612", "temp-password-1", city="3206")
    client = sec_app.server.test_client()
    login_client(client, "temp_analyst", "temp-password-1")
    assert client.get("/api/persons/counts").status_code == 200
    store.set_disabled("temp_analyst")
    assert client.get("/api/persons/counts").status_code == 401
    assert login_client(client, "temp_analyst", "temp-password-1",
                        expect_ok=False).status_code == 401
    store.set_disabled("temp_analyst", False)
    login_client(client, "temp_analyst", "temp-password-1")
    assert client.get("/api/persons/counts").status_code == 200
    assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 303
    assert client.get("/api/persons/counts").status_code == 401


def test_kiosk_token_starts_a_screen_session_until_revoked(sec_app, sec_settings):
    store = AuthStore(sec_settings.auth_db)
    token = store.create_token("screen")
    client = sec_app.server.test_client()
    response = client.get(f"/kiosk/{token}")
    assert response.status_code == 303 and response.headers["Location"] == "/?kiosk=1"
    assert client.get("/").status_code == 200
    assert client.get("/api/persons").status_code == 403
    store.revoke_tokens("screen")
    assert client.get("/").status_code == 302
    assert sec_app.server.test_client().get(f"/kiosk/{token}").status_code == 403


def test_audit_helper_and_cache_policy_for_new_routes(sec_settings, audit_db):
    """What a new export route does: ``auth.audit`` before returning; and how the
    guard treats the caching it asks for."""
    from flask import Response

    from dashboard import auth

    app = create_app(sec_settings)

    @app.server.get("/export/test.csv")
    def export_test():
        scope = access_narrow_for_test()
        auth.audit("export", f"cases {scope.region} csv", [11, 12], scope)
        response = Response("id\n11\n12\n", mimetype="text/csv")
        response.headers["Cache-Control"] = "public, max-age=600"
        return response

    client = app.server.test_client()
    assert client.get("/export/test.csv").status_code == 302  # to the login page
    login_client(client, "county_analyst", DEMO_PASSWORDS["county_analyst"])
    before = audit_count(audit_db, "county_analyst")
    response = client.get("/export/test.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, max-age=600"
    assert "Cookie" in response.headers["Vary"]
    assert audit_count(audit_db, "county_analyst") == before + 1
    row = last_audit(audit_db, "county_analyst")
    assert (row["action"], row["scope"], row["ids"]) == ("export", "320612", "[11, 12]")


def access_narrow_for_test():
    from dashboard import access

    return access.narrow(access.user_scope(), "320612")


# --- a grid worker with several areas ---------------------------------------------------


def test_a_worker_with_several_areas_works_in_one_at_a_time(sec_app, canary_store, audit_db):
    first, second = GRIDS_WORKER_AREAS
    village = first[:12]
    con = duckdb.connect(str(canary_store), read_only=True)
    names = dict(con.execute("SELECT code, name FROM grids WHERE village_code = ?",
                             [village]).fetchall())
    con.close()
    other = min(c for c in names if c not in (first, second))  # same village, not theirs
    client = sec_app.server.test_client()
    login_client(client, "grids_worker", DEMO_PASSWORDS["grids_worker"])
    key = next(k for k in server_callbacks(sec_app) if "overview-title-text" in k)

    def view(code):
        body = callback_body(sec_app, key, code)
        for dep in body["inputs"][1:]:  # indicator, as-of day, period, tick: as on a fresh page
            dep["value"] = None
        response = post_callback(client, body)
        if response.status_code != 200:
            return response.status_code
        return response.get_json()["response"]["overview-title-text"]["children"]

    def drawn():
        geo = client.get(f"/geo/{village}.geojson")
        assert geo.status_code == 200
        return [f["properties"]["code"] for f in json.loads(geo.data)["features"]]

    # The session starts in the first area; the second is refused until chosen.
    assert view("").startswith(names[first])
    assert view(second) == 403
    assert drawn() == [first]
    # The header offers both areas, and only to this account.
    layout = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "shell-area-menu" in layout
    assert f"/area/{first}" in layout and f"/area/{second}" in layout
    plain = sec_app.server.test_client()
    login_client(plain, "grid_worker", DEMO_PASSWORDS["grid_worker"])
    assert "shell-area-menu" not in plain.get("/_dash-layout").get_data(as_text=True)
    # Switching: a redirect home and an HttpOnly, SameSite cookie.
    switched = client.get(f"/area/{second}")
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/")
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith(f"gridcmd_area={second}") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert view("").startswith(names[second])
    assert view(first) == 403
    assert drawn() == [second]
    # What the worker reads now is audited under the area worked in.
    # (no clearance: the person list is refused, and the refusal is audited there too)
    assert client.get("/api/persons").status_code == 403
    row = last_audit(audit_db, "grids_worker")
    assert row["action"] == "denied" and row["scope"] == second
    # Not theirs: refused, and the choice stays.
    for code in (other, village, "3206", "' OR 1=1 --", f"{first},{second}"):
        assert client.get(f"/area/{code}").status_code in (403, 404), code
    assert view("").startswith(names[second])
    # A forged cookie naming someone else's grid falls back to the first own area.
    client.set_cookie("gridcmd_area", other)
    assert view("").startswith(names[first])
    assert view(other) == 403
    text = client.get(f"/geo/{village}.geojson").get_data(as_text=True)
    assert other not in text
    # Logging out forgets the choice.
    client.set_cookie("gridcmd_area", second)
    page = client.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    out = client.post("/logout", data={"csrf_token": token.group(1)} if token else {},
                      headers={"Origin": ORIGIN})
    assert out.status_code == 303
    assert any(h.startswith("gridcmd_area=;") for h in out.headers.getlist("Set-Cookie"))


def test_the_import_log_reaches_city_level_users_only(sec_app, clients):
    """The positive control of the import-log canary (数据质量): the generic loop above
    finds no canary of another county in a county user's answers; here the city's users
    do get it, so the page is not simply empty."""
    key = next(k for k in server_callbacks(sec_app) if "quality-total-text" in k)
    for user in ("city_leader", "admin", "county_analyst", "town_analyst"):
        text = post_callback(clients[user], callback_body(sec_app, key, "")).get_data(
            as_text=True)
        found = CANARY.findall(text)
        assert bool(found) is (USERS[user][1] == "3206"), user


# --- 我的网格 (dashboard/mygrid.py, docs/mygrid.md) ----------------------------------------


@pytest.mark.parametrize("user", list(USERS))
def test_mygrid_is_the_grid_workers_own_and_leaks_nothing(sec_app, clients, pii_values,
                                                          audit_db, user):
    """Every demo user's session on the page and the report endpoint: grid workers read
    their own grids only (no canary of another grid, no clear ID or phone number, even
    with clearance: lists are masked), everyone else is refused, and a forged report
    (another grid's code, a point elsewhere) is refused before anything is written."""
    client = clients[user]
    role = USERS[user][0]
    page = client.get("/mygrid")
    report = client.post("/api/mygrid/report", headers={"Origin": ORIGIN},
                         data={"category": "S0101", "lon": "121.1", "lat": "32.08",
                               "text": "x", "client_id": "sec-test-0001",
                               "grid": "320613001001001"})
    if role != "grid_worker":
        assert page.status_code == 403
        assert report.status_code == 403
        return
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    scan(text, user, pii_values)
    areas = next(r for n, _, r, _, _ in DEMO_ACCOUNTS if n == user).split(",")
    assert sorted(set(re.findall(r'data-grid="([0-9]+)"', text))) == sorted(areas)
    for code in re.findall(r"CANARY-([0-9]{15})", text):
        assert code in areas, code
    assert report.status_code == 403  # the forged grid code, before anything else
    # the worker's own grid centre passes the checks and meets the switched-off intake
    lon, lat = canary_point(sec_app, areas[0])
    honest = client.post("/api/mygrid/report", headers={"Origin": ORIGIN},
                         data={"category": "S0101", "lon": lon, "lat": lat, "text": "x",
                               "client_id": "sec-test-0002"})
    assert honest.status_code == 503


def canary_point(app, grid: str) -> tuple[str, str]:
    con = app.server.extensions["gridcmd_store"].cursor()
    lon, lat = con.execute("SELECT lon, lat FROM grids WHERE code = $g", {"g": grid}).fetchone()
    return repr(lon), repr(lat)
