"""我的网格 over HTTP (Flask test client, a private copy of the demo store with intake on):
the page's numbers equal the data layer's at the page's own moment, the quick report goes
through the intake into the store and the village's overview feed, and a grid worker can
neither read nor report outside their grids."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sqlite3
from datetime import datetime

import pytest
from auth_helpers import DEMO_PASSWORDS, ORIGIN, login_client
from mygrid_helpers import page_moment, visit_village

from dashboard import create_app, ids
from dashboard import mygrid_data as M
from dashboard.auth.demo import seed_demo_users
from dashboard.auth.store import AuthStore
from dashboard.kpi.scope import Scope
from dashboard.settings import Settings
from tests.unit.ingest_helpers import copy_store

TOKEN = "mygrid-token"
OWN = "320612001001001"
PAIR = ("320612001001002", "320612001001003")
# a 1×1 PNG (the smallest real image; its type is read from its bytes)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6300010000050001"
                    "0d0a2db40000000049454e44ae426082")


@pytest.fixture(scope="module")
def mg_settings(demo_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mygrid")
    path = copy_store(demo_store, folder)
    auth_db = folder / "auth.sqlite"
    seed_demo_users(AuthStore(auth_db))
    return Settings.load(store=path, demo_on_start=False, auth_db=str(auth_db),
                         intake_token=TOKEN)


@pytest.fixture(scope="module")
def mg_app(mg_settings):
    app = create_app(mg_settings)
    yield app
    app.server.extensions["gridcmd_store"].close()


@pytest.fixture(scope="module")
def clients(mg_app):
    out = {}
    for name in ("grid_worker", "grids_worker", "village_analyst", "city_leader", "screen"):
        client = mg_app.server.test_client()
        out[name] = (client, login_client(client, name, DEMO_PASSWORDS[name]))
    return {k: v[0] for k, v in out.items()} | {"_login": {k: v[1] for k, v in out.items()}}


def _con(app):
    return app.server.extensions["gridcmd_store"].cursor()


def _grid_point(app, code):
    return _con(app).execute("SELECT lon, lat FROM grids WHERE code = $c",
                             {"c": code}).fetchone()


def _report(client, lon, lat, **extra):
    form = {"category": "S0101", "lon": str(lon), "lat": str(lat), "text": "楼道堆物 测试",
            "client_id": extra.pop("client_id", "clientid0001"), **extra}
    return client.post("/api/mygrid/report", data=form, headers={"Origin": ORIGIN},
                       content_type="multipart/form-data")


def _counts(html: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(
        r'<details class="mg-sec" id="mg-(\w+)"[^>]*><summary><span>[^<]*</span>'
        r'<b data-count="(\d+)">', html)}


def test_grid_workers_land_on_mygrid_others_do_not(clients):
    logins = clients["_login"]
    assert logins["grid_worker"].headers["Location"] == "/mygrid"
    assert logins["grids_worker"].headers["Location"] == "/mygrid"
    assert logins["village_analyst"].headers["Location"] == "/"
    assert logins["city_leader"].headers["Location"] == "/"


@pytest.mark.parametrize("user, areas", [("grid_worker", (OWN,)), ("grids_worker", PAIR)])
def test_page_numbers_equal_the_data_layer(mg_app, clients, user, areas):
    response = clients[user].get("/mygrid")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    moment = datetime.fromisoformat(re.search(r'<time datetime="([^"]+)"', html).group(1))
    scopes = [Scope(a, "grid_worker") for a in areas]
    con = _con(mg_app)
    want = M.tasks(con, scopes, moment)
    assert _counts(html) == {"visits": want["totals"]["visits"],
                             "cases": want["totals"]["cases"],
                             "hazards": want["totals"]["hazards"],
                             "alerts": want["totals"]["alerts"]}
    for light in ("red", "yellow", "green"):
        assert f'data-light-count="{light}">{want["totals"]["cases_" + light]}<' in html
    shown = re.findall(r'data-case="([^"]+)"', html)
    assert shown == [c["case_no"] for c in want["cases"]]
    for area in areas:
        figures = M.figures(con, Scope(area, "grid_worker"), moment.date())
        table = re.search(rf'<table class="mg-fig" data-area="{area}">(.*?)</table>', html).group(1)
        for f in figures:
            row = re.search(rf'<tr data-key="{f["key"]}" data-value="([^"]*)" '
                            r'data-village="([^"]*)"', table)
            assert row.groups() == ("" if f["value"] is None else str(f["value"]),
                                    "" if f["village"] is None else str(f["village"]))
    # every grid of the worker is on the map, and no other
    assert re.findall(r'data-grid="(\d+)"', html) == list(areas)
    assert response.headers["Cache-Control"] == "no-store"
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_page_assets_are_cacheable_and_small(clients):
    html = clients["grid_worker"].get("/mygrid").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/mygrid/static/[^"]+)"', html)
    assert len(urls) == 2
    for url in urls:
        response = clients["grid_worker"].get(url)
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "private" in response.headers["Cache-Control"]
    wrong = re.sub(r"/static/\w+/", "/static/000000000000/", urls[0])
    assert clients["grid_worker"].get(wrong).status_code == 404


def test_the_offline_copy_and_the_service_worker(clients):
    """The offline copy holds the form for the session's grid and no task, person or
    figure; the worker script may take the scope /mygrid and fetch same-origin only."""
    page = clients["grid_worker"].get("/mygrid").get_data(as_text=True)
    sw = re.search(r'<template id="mg-sw">([^<]+)</template>', page).group(1)
    sw = sw.replace("&amp;", "&")
    assert sw.startswith("/mygrid/sw.js?")
    script = clients["grid_worker"].get(sw)
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert script.headers["Service-Worker-Allowed"] == "/mygrid"
    assert "connect-src 'self'" in script.headers["Content-Security-Policy"]
    shell = clients["grid_worker"].get("/mygrid/offline")
    assert shell.status_code == 200 and shell.headers["Cache-Control"] == "no-store"
    text = shell.get_data(as_text=True)
    assert 'id="mg-shell"' in text and 'id="mg-form"' in text and 'data-grid="' in text
    for marker in ('id="mg-visits"', 'id="mg-cases"', "mg-item", "data-person", "本月指标"):
        assert marker not in text, marker
    assert "geolocation=(self)" in shell.headers["Permissions-Policy"]


def test_other_roles_get_no_mygrid(clients):
    for user in ("village_analyst", "city_leader"):
        assert clients[user].get("/mygrid").status_code == 403, user
        assert clients[user].get("/mygrid/offline").status_code == 403, user
        assert _report(clients[user], 121.1, 32.08).status_code == 403, user
    assert clients["screen"].get("/mygrid").status_code == 403
    assert _report(clients["screen"], 121.1, 32.08).status_code == 403


def test_quick_report_end_to_end(mg_app, mg_settings, clients):
    lon, lat = _grid_point(mg_app, OWN)
    response = clients["grid_worker"].post(
        "/api/mygrid/report", headers={"Origin": ORIGIN}, content_type="multipart/form-data",
        data={"category": "S0101", "lon": str(lon), "lat": str(lat),
              "text": "楼道堆物，影响通行", "client_id": "e2e-report-0001",
              "photo": (io.BytesIO(PNG), "p.png")})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["grid_code"] == OWN and body["inserted"] == 1
    case_no = body["case_no"]
    row = _con(mg_app).execute(
        "SELECT id, grid_code, source, category_code, status, is_void FROM incidents "
        "WHERE case_no = $c", {"c": case_no}).fetchall()
    assert len(row) == 1
    case_id, grid, source, category, _status, void = row[0]
    assert (grid, source, category, void) == (OWN, M.REPORT_SOURCE, "S0101", False)
    # the photo under its content hash and the note beside the store
    sha = hashlib.sha256(PNG).hexdigest()
    assert body["photo"] == sha
    photo = mg_settings.store.with_name(mg_settings.store.name + ".photos") / f"{sha}.png"
    assert photo.read_bytes() == PNG
    note = json.loads((mg_settings.store.with_name(mg_settings.store.name + ".notes")
                       / f"{case_no}.json").read_text())
    assert note["text"] == "楼道堆物，影响通行" and note["photo"] == f"{sha}.png"
    # the same form sent again (an offline queue retrying) updates, never doubles
    again = clients["grid_worker"].post(
        "/api/mygrid/report", headers={"Origin": ORIGIN}, content_type="multipart/form-data",
        data={"category": "S0101", "lon": str(lon), "lat": str(lat),
              "text": "楼道堆物，影响通行", "client_id": "e2e-report-0001"})
    assert again.status_code == 200 and again.get_json()["case_no"] == case_no
    assert _con(mg_app).execute("SELECT count(*) FROM incidents WHERE case_no = $c",
                                {"c": case_no}).fetchone()[0] == 1
    # in the village's overview feed (the village analyst's panels callback)
    feed = _feed_ids(mg_app, clients["village_analyst"])
    assert case_id in feed
    # and in the worker's own open cases
    html = clients["grid_worker"].get("/mygrid").get_data(as_text=True)
    assert f'data-case="{case_no}"' in html
    # the report is audited
    with sqlite3.connect(mg_settings.auth_db) as db:
        what = [r[0] for r in db.execute(
            "SELECT what FROM audit WHERE username = 'grid_worker' AND action = 'report'")]
    assert f"mygrid case {case_no}" in what


def _feed_ids(app, client) -> list[int]:
    key = next(k for k in app.callback_map if ids.OVERVIEW_CARDS_DIV in k)
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in key.strip(".").split("...")]
    inputs = [{"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": ""},
              {"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
              {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
              {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 1}]
    response = client.post("/_dash-update-component", headers={"Origin": ORIGIN},
                           json={"output": key, "outputs": outputs, "inputs": inputs,
                                 "state": [], "changedPropIds": []})
    assert response.status_code == 200, response.data[:300]
    data = gzip.decompress(response.data) if response.headers.get(
        "Content-Encoding") == "gzip" else response.data
    feed = json.loads(data)["response"][ids.OVERVIEW_FEED_LIST]["children"]
    return [int(li["props"]["data-id"]) for li in feed if "data-id" in li.get("props", {})]


def _incidents(app) -> int:
    return _con(app).execute("SELECT count(*) FROM incidents").fetchone()[0]


def test_reports_outside_own_grids_are_refused(mg_app, clients):
    before = _incidents(mg_app)
    sibling = _grid_point(mg_app, PAIR[0])
    # grid_worker: a point in the neighbour's grid, in another city, in the sea, or a
    # forged grid code beside a point of its own
    own = _grid_point(mg_app, OWN)
    for lon, lat, extra in ((*sibling, {}), (119.2, 34.6, {}), (122.5, 31.5, {}),
                            (*own, {"grid": PAIR[0]}), (*own, {"grid": "3206"})):
        response = _report(clients["grid_worker"], lon, lat, **extra)
        assert response.status_code == 403, (lon, lat, extra)
        assert response.get_json() == {"error": "forbidden", "status": 403}
    # grids_worker: its second grid is fine, grid_worker's is not
    assert _report(clients["grids_worker"], *own).status_code == 403
    assert _incidents(mg_app) == before
    ok = _report(clients["grids_worker"], *_grid_point(mg_app, PAIR[1]),
                 client_id="second-grid-0001")
    assert ok.status_code == 200 and ok.get_json()["grid_code"] == PAIR[1]


def test_bad_reports_get_clear_errors_and_store_nothing(mg_app, clients):
    before = _incidents(mg_app)
    lon, lat = _grid_point(mg_app, OWN)
    w = clients["grid_worker"]
    cases = [
        ({"category": "NOPE"}, 400), ({"category": ""}, 400), ({"text": ""}, 400),
        ({"text": "x" * 501}, 400), ({"lon": "abc"}, 400), ({"lat": "nan"}, 400),
        ({"lon": "inf"}, 400), ({"client_id": "short"}, 400),
        ({"client_id": "../../etc/passwd"}, 400),
    ]
    for change, status in cases:
        form = {"category": "S0101", "lon": str(lon), "lat": str(lat), "text": "t",
                "client_id": "badreport-0001", **change}
        response = w.post("/api/mygrid/report", data=form, headers={"Origin": ORIGIN},
                          content_type="multipart/form-data")
        assert response.status_code == status, (change, response.get_data(as_text=True))
        assert "error" in response.get_json()
    # photos: not an image by its bytes (whatever its name says), or too large
    for data, status in ((b"GIF89a" + b"\0" * 100, 415), (b"<svg></svg>", 415),
                         (b"\xff\xd8\xff" + b"\0" * (600 * 1024), 413)):
        response = w.post("/api/mygrid/report", headers={"Origin": ORIGIN},
                          content_type="multipart/form-data",
                          data={"category": "S0101", "lon": str(lon), "lat": str(lat),
                                "text": "t", "client_id": "badphoto-0001",
                                "photo": (io.BytesIO(data), "p.jpg")})
        assert response.status_code == status, data[:8]
    # a cross-site form post and a post without a session
    cross = w.post("/api/mygrid/report", data={"category": "S0101"},
                   headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    anon = mg_app.server.test_client().post("/api/mygrid/report", headers={"Origin": ORIGIN})
    assert anon.status_code == 401
    for path in ("/mygrid", "/mygrid/offline"):
        assert mg_app.server.test_client().get(
            path, headers={"Accept": "text/html"}).status_code == 302
    assert _incidents(mg_app) == before


def test_without_intake_the_report_is_refused_and_the_page_still_works(settings):
    """The read-only server (intake off): the page reads, the form answers 503."""
    app = create_app(settings)
    client = app.server.test_client()
    login_client(client, "grid_worker", DEMO_PASSWORDS["grid_worker"])
    assert client.get("/mygrid").status_code == 200
    lon, lat = _grid_point(app, OWN)
    response = _report(client, lon, lat)
    assert response.status_code == 503
    assert "intake_token" in response.get_json()["error"]


def test_a_report_the_intake_rules_refuse_is_quarantined(demo_store, tmp_path_factory):
    """The report goes through the intake's own rules: with ``ingest_earliest`` after today
    (a real setting: no time before it is accepted) it is quarantined, not stored."""
    folder = tmp_path_factory.mktemp("mygrid-q")
    path = copy_store(demo_store, folder)
    auth_db = folder / "auth.sqlite"
    seed_demo_users(AuthStore(auth_db))
    app = create_app(Settings.load(store=path, demo_on_start=False, auth_db=str(auth_db),
                                   intake_token=TOKEN, ingest_earliest="2099-01-01"))
    try:
        client = app.server.test_client()
        login_client(client, "grid_worker", DEMO_PASSWORDS["grid_worker"])
        con = _con(app)
        before = con.execute("SELECT (SELECT count(*) FROM incidents), "
                             "(SELECT count(*) FROM quarantine)").fetchone()
        response = _report(client, *_grid_point(app, OWN), client_id="quarantined-01")
        assert response.status_code == 422, response.get_data(as_text=True)
        body = response.get_json()
        assert body["code"] == "quarantined" and body["rules"]
        after = _con(app).execute("SELECT (SELECT count(*) FROM incidents), "
                                  "(SELECT count(*) FROM quarantine)").fetchone()
        assert after == (before[0], before[1] + 1)
        assert not (path.with_name(path.name + ".notes") / f"{body['case_no']}.json").exists()
    finally:
        app.server.extensions["gridcmd_store"].close()


@pytest.fixture(scope="module")
def village_workers(mg_app, mg_settings):
    """Two workers of a whole village (a grid worker's area may be a village), one with
    personal-data clearance and one without; the village is one with visits to make now."""
    store = AuthStore(mg_settings.auth_db)
    con = _con(mg_app)
    village = visit_village(con, page_moment(con))
    out = {"village": village}
    for name, pii in (("gw_village_c", True), ("gw_village_u", False)):
        store.add_user(name, "grid_worker", village, DEMO_PASSWORDS["grid_worker"],
                       city="3206", pii=pii)
        client = mg_app.server.test_client()
        login_client(client, name, DEMO_PASSWORDS["grid_worker"])
        out[name] = client
    return out


def test_a_village_worker_sees_the_village_and_clearance_decides_the_view(mg_app,
                                                                           village_workers):
    cleared = village_workers["gw_village_c"].get("/mygrid").get_data(as_text=True)
    plain = village_workers["gw_village_u"].get("/mygrid").get_data(as_text=True)
    visits = re.findall(r'<li class="mg-item mg-(?:overdue|due)" data-person="(\d+)"', cleared)
    assert visits, "no visit due in the village at this moment: nothing to check"
    assert re.findall(r'class="mg-clear" data-person="(\d+)"', cleared) == visits
    assert 'class="mg-clear"' not in plain
    # both lists are masked: the same names and phones
    names = re.compile(r'<b class="mg-name">([^<]*)</b>')
    assert names.findall(cleared) == names.findall(plain)
    assert all("*" in n for n in names.findall(plain))
    # the button's endpoint: clear values for the cleared worker (audited), none otherwise
    person = visits[0]
    got = village_workers["gw_village_c"].get(f"/api/persons/{person}?clear=1")
    assert got.status_code == 200 and "*" not in got.get_json()["person"]["name"]
    assert village_workers["gw_village_u"].get(f"/api/persons/{person}?clear=1") \
        .status_code == 403
    # every grid of the village on the map; no village average above grid level
    grids = [r[0] for r in _con(mg_app).execute(
        "SELECT code FROM grids WHERE village_code = $v ORDER BY code",
        {"v": village_workers["village"]}).fetchall()]
    assert re.findall(r'data-grid="(\d+)"', cleared) == grids
    assert re.findall(r'data-village="([^"]*)"', cleared) == [""] * len(M.FIGURES)
    # a report anywhere in the village lands in the grid that holds the point
    last = grids[-1]
    response = _report(village_workers["gw_village_u"], *_grid_point(mg_app, last),
                       client_id="village-report-01")
    assert response.status_code == 200 and response.get_json()["grid_code"] == last
    outside = _report(village_workers["gw_village_u"], 119.2, 34.6, client_id="village-out-01")
    assert outside.status_code == 403


def test_the_case_panel_shows_the_workers_words_and_photo_in_jurisdiction(mg_app, mg_settings,
                                                                          clients):
    """A quick report's text and photo reach the workbench: the case panel's data has the
    note for a user whose jurisdiction holds the case, the photo route serves the bytes to
    them (audited) and 404 to a worker of other grids, 403 to the wall, nothing without a
    session."""
    from dashboard import cases_data
    from dashboard.field_notes import Notes

    lon, lat = _grid_point(mg_app, OWN)
    response = _report(clients["grid_worker"], lon, lat, client_id="photo-panel-01",
                       text="井盖缺失，已设临时围挡", photo=(io.BytesIO(PNG), "p.png"))
    assert response.status_code == 200, response.get_data(as_text=True)
    case_no = response.get_json()["case_no"]
    con = _con(mg_app)
    case_id = con.execute("SELECT id FROM incidents WHERE case_no = $c",
                          {"c": case_no}).fetchone()[0]
    notes = Notes(mg_settings.store)
    for region in ("320612001001", "3206", OWN):
        detail = cases_data.case(con, Scope(region, "analyst"), case_id, notes=notes)
        assert detail["note"] == {"text": "井盖缺失，已设临时围挡", "by": "grid_worker",
                                  "photo": True}, region
    assert cases_data.case(con, Scope(PAIR[0], "grid_worker"), case_id, notes=notes) is None
    url = f"/cases/photo/{case_no}"
    for user in ("village_analyst", "city_leader", "grid_worker"):
        got = clients[user].get(url)
        assert got.status_code == 200 and got.data == PNG, user
        assert got.mimetype == "image/png" and got.headers["Cache-Control"] == "no-store"
    assert clients["grids_worker"].get(url).status_code == 404
    assert clients["screen"].get(url).status_code == 403
    assert clients["village_analyst"].get("/cases/photo/MG0000000000000000AB").status_code \
        == 404
    assert clients["village_analyst"].get("/cases/photo/..%2F..%2Fauth").status_code == 404
    assert mg_app.server.test_client().get(url).status_code in (302, 401)
    with sqlite3.connect(mg_settings.auth_db) as db:
        seen = {r[0] for r in db.execute(
            "SELECT username FROM audit WHERE action = 'detail' AND what = ?",
            (f"case photo {case_no}",))}
    assert seen == {"village_analyst", "city_leader", "grid_worker"}
