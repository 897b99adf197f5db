"""Issue 15, found by an attacker: each numbered finding as a test (formula injection in
exports, intake storing wrong data, 500s instead of clear errors, password guessing, session
timeouts, small leaks). Person lists and small counts: ``test_suppression.py``; the import
into the wrong store with two real servers: ``test_store_identity.py``; the fuzz pass:
``test_fuzz.py``."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest
from auth_helpers import CITY_LEADER, DEMO_PASSWORDS, ORIGIN, login_client, post_callback
from openpyxl import load_workbook

from dashboard import create_app
from dashboard.clock import now_in
from dashboard.settings import Settings
from tests.unit.ingest_helpers import copy_store, incident_rows

TOKEN = "hardening-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "=cmd|' /C calc'!A0", "+SUM(1+1)",
            "@SUM(1)", "\t=1+1", "-2+3", "＝1+1", "\r=1+1"]


@pytest.fixture(scope="module")
def hard_app(ingest_store, tmp_path_factory):
    path = copy_store(ingest_store, tmp_path_factory.mktemp("hard"))
    app = create_app(Settings.load(store=path, demo_on_start=False, intake_token=TOKEN))
    yield app
    app.server.extensions["gridcmd_store"].close()


@pytest.fixture(scope="module")
def leader(hard_app):
    client = hard_app.server.test_client()
    login_client(client, *CITY_LEADER)
    return client


def _recent(con, n, prefix, seed=3):
    """Clean incident records reported half an hour ago (inside every default period)."""
    rows = incident_rows(con, n, prefix=prefix, seed=seed)
    stamp = (now_in() - timedelta(minutes=30)).replace(microsecond=0)
    for r in rows:
        r["reported_at"] = str(stamp)
        r["registered_at"] = str(stamp + timedelta(minutes=5))
        r["closed_at"] = ""
    return rows


def _intake(app, kind, records):
    return app.server.test_client().post(f"/api/intake/{kind}", headers=AUTH, json=records)


def _id_number(body17: str) -> str:
    """A resident ID number with its GB 11643 check digit."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


# --- 1. formula injection in exports ------------------------------------------------------


def test_safe_cell_rule():
    from dashboard.sheets import safe_cell

    for text in (*FORMULAS, " =1+1", "\u3000＋1", "\n@x"):
        assert safe_cell(text) == "'" + text
    for value in ("普通文本", "A-1", "", 12, -3.5, None, True, datetime(2024, 1, 1)):
        assert safe_cell(value) == value
    assert safe_cell("a\x00b\x1bc\x7f\td") == "a\ufffdb\ufffdc\ufffd\td"


def test_case_exports_neutralise_formulas(hard_app, leader):
    store = hard_app.server.extensions["gridcmd_store"]
    rows = _recent(store.cursor(), len(FORMULAS), "FX")
    for row, formula in zip(rows, FORMULAS, strict=True):
        row["case_no"] = formula
    body = _intake(hard_app, "incidents", rows).get_json()
    assert body["inserted"] == len(FORMULAS), body
    csv_text = leader.get("/export/cases.csv").get_data(as_text=True).lstrip("\ufeff")
    cells = {r[0] for r in csv.reader(io.StringIO(csv_text))}
    for formula in FORMULAS:
        assert "'" + formula in cells, formula
        assert formula not in cells, formula
    xlsx = leader.get("/export/cases.xlsx")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no live formula at all
    book = load_workbook(io.BytesIO(xlsx.data))
    values = {c.value for row in book.active.iter_rows() for c in row}
    assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)
    for formula in FORMULAS:
        assert "'" + formula.replace("\r", "\n") in {str(v).replace("\r", "\n")
                                                    for v in values}, formula
    # numbers stay numbers
    numeric = [c.value for row in book.active.iter_rows(min_row=2) for c in row
               if isinstance(c.value, int | float) and not isinstance(c.value, bool)]
    assert numeric


def test_person_export_neutralises_a_formula_address(hard_app, leader):
    con = hard_app.server.extensions["gridcmd_store"].cursor()
    grid = con.execute("SELECT code FROM grids ORDER BY code LIMIT 1").fetchone()[0]
    person = {"id_number": _id_number("32061219800101123"), "name": "=1+2",
              "phone": "13800000000", "address": '=HYPERLINK("http://evil.example","x")',
              "grid_code": grid, "category": "独居老人", "risk_level": "低",
              "registered_at": "2020-01-01 00:00:00"}
    body = _intake(hard_app, "key_persons", [person]).get_json()
    assert body["inserted"] == 1, body
    text = leader.get("/api/persons/export.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    mine = [r for r in rows if r["address"].startswith("'=HYPERLINK")]
    assert len(mine) == 1
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_report_xlsx_writes_text_as_text(hard_app, tmp_path):
    from dashboard.kpi.scope import Scope
    from dashboard.report import build_report, write_xlsx

    store = hard_app.server.extensions["gridcmd_store"]
    con = store.cursor()
    grid, lon, lat = con.execute("SELECT code, lon, lat FROM grids ORDER BY code LIMIT 1"
                                 ).fetchone()
    last_month = (now_in().replace(day=1) - timedelta(days=1)).replace(day=1)
    case = {"case_no": "=HYPERLINK(\"http://evil.example\",\"r\")", "source": "12345热线",
            "category_code": "E0102", "grid_code": grid,
            "reported_at": f"{last_month - timedelta(days=60):%Y-%m-%d} 08:00:00",
            "deadline_at": f"{last_month - timedelta(days=59):%Y-%m-%d} 08:00:00"}
    assert _intake(hard_app, "incidents", [case]).get_json()["inserted"] == 1
    report = build_report(con, Scope(grid[:12], "leader"), f"{last_month:%Y-%m}")
    path = write_xlsx(report, tmp_path / "r.xlsx")
    book = load_workbook(path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + case["case_no"] in {c.value for c in cells}


def test_a_stored_control_character_cannot_break_an_export(hard_app, leader):
    """Old rows from before the control_characters rule: the export still answers."""
    store = hard_app.server.extensions["gridcmd_store"]
    rows = _recent(store.cursor(), 1, "CTL", seed=4)
    assert _intake(hard_app, "incidents", rows).get_json()["inserted"] == 1
    with store.writer() as cur:
        cur.execute("UPDATE incidents SET case_no = 'CTL\x00\x1b[31m\x07x' "
                    "WHERE case_no = $c", {"c": rows[0]["case_no"]})
    response = leader.get("/export/cases.xlsx")
    assert response.status_code == 200
    values = {c.value for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()
              for c in row}
    assert "CTL\ufffd\ufffd[31m\ufffdx" in values
    assert leader.get("/export/cases.csv").status_code == 200


# --- 4. intake stores wrong data: generic quarantine rules ----------------------------------


def test_intake_quarantines_implausible_negative_out_of_range_and_control(hard_app):
    store = hard_app.server.extensions["gridcmd_store"]
    rows = _recent(store.cursor(), 9, "RULE", seed=5)
    rows[0]["reported_at"] = "0001-01-01 00:00:00"
    rows[1]["reported_at"] = "1970-01-01 00:00:00"
    rows[2]["extended_hours"] = -5
    rows[3]["rework_count"] = 1099511627776
    rows[4]["case_no"] = "RULE\x00NUL"
    rows[5]["case_no"] = "RULE\x1bESC"
    rows[6]["escalations"] = -1
    rows[7]["registered_at"] = "1989-12-31 23:59:59"
    response = _intake(hard_app, "incidents", rows)
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["inserted"] == 1 and body["quarantined"] == 8, body
    assert body["quarantined_by_rule"] == {"implausible_time": 3, "negative_value": 2,
                                           "number_out_of_range": 1,
                                           "control_characters": 2}
    con = store.cursor()
    got = con.execute("SELECT line, rule, column_name, value FROM quarantine "
                      "WHERE batch_id = (SELECT max(id) FROM import_batches) "
                      "ORDER BY line").fetchall()
    assert [(line, rule, field) for line, rule, field, _ in got] == [
        (1, "implausible_time", "reported_at"), (2, "implausible_time", "reported_at"),
        (3, "negative_value", "extended_hours"), (4, "number_out_of_range", "rework_count"),
        (5, "control_characters", "case_no"), (6, "control_characters", "case_no"),
        (7, "negative_value", "escalations"), (8, "implausible_time", "registered_at")]
    assert got[3][3] == "1099511627776"
    assert con.execute("SELECT min(day) FROM incident_daily").fetchone()[0] > \
        datetime(1990, 1, 1).date()


def test_visit_interval_must_be_positive_and_the_floor_is_configurable(ingest_store,
                                                                        tmp_path):
    from dashboard.ingest.load import load_records
    from dashboard.ingest.mapping import Mapping, MappingError
    from tests.unit.ingest_helpers import connect

    con = connect(copy_store(ingest_store, tmp_path))
    grid = con.execute("SELECT code FROM grids ORDER BY code LIMIT 1").fetchone()[0]
    people = [{"id_number": _id_number(f"3206121980010{i:03d}1"[:17]), "name": "张三",
               "grid_code": grid, "category": "独居老人", "risk_level": "低",
               "registered_at": day, "visit_interval_days": interval}
              for i, (day, interval) in enumerate([("2020-01-01", 0), ("2020-01-01", -3),
                                                   ("2005-06-01", 7), ("2020-01-01", 7)])]
    out = load_records(con, "key_persons", people, source="t", earliest="2010-01-01")
    assert out.by_rule == {"negative_value": 2, "implausible_time": 1}, out.by_rule
    # a mapping's [rules] earliest wins over the setting
    mapping = Mapping.from_dict({"rules": {"earliest": "2000-01-01"}}, kind="key_persons")
    mapping = Mapping(**{**Mapping.identity("key_persons").__dict__, "rules": mapping.rules})
    people[2]["id_number"] = _id_number("32061219800109991")
    out = load_records(con, "key_persons", people[2:3], source="t2", mapping=mapping,
                       earliest="2010-01-01")
    assert out.inserted == 1, out.by_rule
    with pytest.raises(MappingError, match="earliest"):
        Mapping.from_dict({"rules": {"earliest": "soon"}}, kind="key_persons")
    with pytest.raises(ValueError, match="ingest_earliest"):
        Settings.load(ingest_earliest="yesterday")
    con.close()


def test_csv_file_with_a_huge_integer_is_quarantined_not_a_500(hard_app):
    store = hard_app.server.extensions["gridcmd_store"]
    rows = _recent(store.cursor(), 3, "BIG", seed=6)
    for r in rows:
        r["rework_count"] = 0
    rows[1]["rework_count"] = 1099511627776
    header = list(rows[0])
    text = ",".join(header) + "\n" + "\n".join(",".join(str(r[h]) for h in header)
                                               for r in rows) + "\n"
    response = hard_app.server.test_client().post(
        "/api/intake/incidents/file", headers=AUTH,
        data={"file": (io.BytesIO(text.encode()), "big.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["inserted"] == 2 and body["quarantined_by_rule"] == {"number_out_of_range": 1}


# --- 5. 500 instead of a clear error -----------------------------------------------------


def test_intake_quarantines_elements_that_are_not_objects(hard_app):
    response = _intake(hard_app, "incidents", ["a", 1, None, [1, 2]])
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["quarantined_by_rule"] == {"malformed_json": 4} and body["rows_in"] == 4
    store = hard_app.server.extensions["gridcmd_store"]
    rows = _recent(store.cursor(), 2, "MIX", seed=7)
    body = _intake(hard_app, "incidents", [rows[0], "x", rows[1], 7]).get_json()
    assert (body["inserted"], body["quarantined_by_rule"]) == (2, {"malformed_json": 2}), body
    client = hard_app.server.test_client()
    for raw in (b'"just a string"', b"42", b"null", b"[]", b"{}", b"[1,", b"\xff\xfe",
                b"[" * 5000 + b"]" * 5000, b'{"records": 5}', b'{"source": [1], "records": []}'):
        response = client.post("/api/intake/incidents", headers=AUTH, data=raw,
                               content_type="application/json")
        assert response.status_code == 400, (raw[:20], response.status_code)
        assert response.get_json()["code"] == "malformed_json"


def test_request_bodies_are_capped(hard_app, leader):
    body = {"output": "overview-title-text.children", "inputs": [{"id": "x",
            "property": "value", "value": "A" * (2 * 1024 * 1024)}]}
    response = post_callback(leader, body)
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body too large", "status": 413}
    # chunked, with no Content-Length: not read at all
    data = json.dumps(body).encode()
    response = leader.post("/_dash-update-component", input_stream=io.BytesIO(data),
                           headers={"Origin": ORIGIN, "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 411
    # the intake keeps its own, larger limit
    store = hard_app.server.extensions["gridcmd_store"]
    rows = _recent(store.cursor(), 1, "SIZE", seed=8)
    rows[0]["padding"] = "x" * (2 * 1024 * 1024)
    assert _intake(hard_app, "incidents", rows).status_code == 200


# --- 6. password guessing: per account, whatever the address ------------------------------


def _login_from(app, address: str, username: str, password: str):
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return login_client(client, username, password, expect_ok=False)


def test_guessing_from_many_addresses_is_stopped_per_account(hard_app):
    from dashboard.auth.store import AuthStore

    store: AuthStore = hard_app.server.extensions["gridcmd_auth"]
    store.add_user("target", "analyst", "320612", "Tg-secret-42x", city="3206")
    clock = [datetime.now().astimezone()]
    store.clock = lambda: clock[0]
    try:
        codes = []
        for i in range(12):  # 12 addresses, each well under its own per-address limit
            codes.append(_login_from(hard_app, f"10.0.0.{i}", "target", f"guess-{i}")
                         .status_code)
        # five real guesses, then every try waits: the back-off holds whatever the address
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        for i, wait in enumerate((1, 2, 4, 8, 16)):
            clock[0] += timedelta(seconds=wait)
            expected = 423 if i == 4 else 401
            assert _login_from(hard_app, f"10.0.1.{i}", "target", "guess").status_code \
                == expected
        # locked: the right password does not pass either, until an admin unlocks
        clock[0] += timedelta(days=3)
        right = _login_from(hard_app, "10.0.2.1", "target", "Tg-secret-42x")
        assert right.status_code == 423 and "已锁定" in right.get_data(as_text=True)
        actions = [r["action"] for r in store.audit_rows(limit=20, username="target")]
        assert actions.count("login_failed") == 10 and "login_refused" in actions
        assert store.unlock("target")
        assert _login_from(hard_app, "10.0.2.2", "target", "Tg-secret-42x").status_code \
            == 303
    finally:
        store.clock = None


def test_user_unlock_command_is_audited(tmp_path):
    import subprocess
    import sys

    from dashboard.auth.store import AuthStore

    db = tmp_path / "auth.sqlite"
    store = AuthStore(db)
    store.add_user("li", "analyst", "320612", "Wen-secret-77", city="3206")
    for _ in range(10):
        store.login_failed("li")
    listed = subprocess.run([sys.executable, "-m", "dashboard.cli", "user", "--auth-db",
                             str(db), "list"], capture_output=True, text=True, timeout=60)
    assert " locked " in listed.stdout
    out = subprocess.run([sys.executable, "-m", "dashboard.cli", "user", "--auth-db", str(db),
                          "unlock", "li"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "unlocked" in out.stdout, out.stderr
    assert store.login_state("li") == ("ok", 0)
    row = store.audit_rows(limit=1)[0]
    assert row["action"] == "unlock" and row["what"] == "user li"
    assert row["username"].startswith("cli:")


def test_weak_passwords_are_refused_by_the_cli(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "auth.sqlite"
    for weak in ("12345678", "password", " " * 8, "zhang", "Zhang-2024-x", "Password123!"):
        out = subprocess.run([sys.executable, "-m", "dashboard.cli", "user", "--auth-db",
                              str(db), "add", "zhang", "--role", "analyst", "--region",
                              "320612", "--password-stdin"], input=weak + "\n",
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and "password" in out.stderr, (weak, out.stderr)


# --- 7. session timeouts, on the server, with a moved clock ---------------------------------


def test_idle_and_absolute_timeouts_hold_on_the_server(hard_app):
    from dashboard.auth.store import AuthStore

    store: AuthStore = hard_app.server.extensions["gridcmd_auth"]
    clock = [datetime.now().astimezone()]
    store.clock = lambda: clock[0]
    refresh = {"output": "overview-kpis-div.children", "changedPropIds":
               ["overview-refresh-interval.n_intervals"]}
    try:
        client = hard_app.server.test_client()
        login_client(client, "city_analyst", DEMO_PASSWORDS["city_analyst"])
        assert client.get("/api/persons/counts").status_code == 200
        # automatic refreshes for 29 minutes do not count as activity ...
        for _ in range(29):
            clock[0] += timedelta(minutes=1)
            post_callback(client, refresh)
        clock[0] += timedelta(minutes=2)
        assert client.get("/api/persons/counts").status_code == 401
        # ... requests of the user do, up to session_hours after login
        login_client(client, "city_analyst", DEMO_PASSWORDS["city_analyst"])
        for _ in range(39):
            clock[0] += timedelta(minutes=18)
            assert client.get("/api/persons/counts").status_code == 200
        clock[0] += timedelta(minutes=18)  # 12 h after login
        assert client.get("/api/persons/counts").status_code == 401
    finally:
        store.clock = None


# --- 8. small leaks --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/kiosk/x/../../admin/audit", "/kiosk/x/%2e%2e/%2e%2e/cases",
                                  "/assets/../persons", "/api/intake/../persons",
                                  "/kiosk/x/./y", "/kiosk/a/b", "/assets/..%5c..%5cadmin"])
def test_dot_segments_serve_nothing_without_a_session(hard_app, path):
    response = hard_app.server.test_client().get(path, headers={"Accept": "text/html"})
    assert response.status_code in (302, 401, 403, 404)
    text = response.get_data(as_text=True)
    assert "_dash-config" not in text and "react-entry-point" not in text


def test_no_server_version_hsts_and_secure_language_cookie(hard_app, leader, settings):
    for response in (leader.get("/"), hard_app.server.test_client().get("/login"),
                     leader.get("/nope/none")):
        assert response.headers["Server"] == "GridCommand"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    lang = leader.get("/lang/en", headers={"Referer": "http://localhost/"})
    cookie = lang.headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    leader.get("/lang/zh")
    from dataclasses import replace

    plain = create_app(replace(settings, cookie_secure=False))
    response = plain.server.test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers


def test_the_dev_server_does_not_name_itself(hard_app):
    """The app's answers and Werkzeug's own (a malformed request) name no version."""
    import socket
    import threading

    from werkzeug.serving import make_server

    from dashboard.cli import _quiet_handler

    server = make_server("127.0.0.1", 0, hard_app.server, request_handler=_quiet_handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for raw in (b"GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    # too many headers: refused by the server itself (431)
                    b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 120 + b"\r\n"):
            with socket.create_connection(server.server_address, timeout=30) as sock:
                sock.sendall(raw)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    head += chunk
            text = head.decode("latin-1")
            assert "Server: GridCommand" in text, text[:300]
            assert "Werkzeug" not in text and "Python/" not in text
    finally:
        server.shutdown()
