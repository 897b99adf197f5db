"""Live intake while serving: the token-protected endpoint, the overview seeing new events on
its next refresh, and a running server taking JSON batches and the CLI loader's files at
once without lock errors or lost rows."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from auth_helpers import CITY_LEADER, login_client, post_callback

from dashboard import create_app, ids
from dashboard.clock import now_in
from dashboard.ingest import crs
from dashboard.settings import Settings
from tests.unit.ingest_helpers import copy_store, incident_rows

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAPPINGS = Path(__file__).resolve().parents[2] / "dashboard" / "ingest" / "mappings"


@pytest.fixture(scope="module")
def intake_app(ingest_store, tmp_path_factory):
    path = copy_store(ingest_store, tmp_path_factory.mktemp("intake"))
    app = create_app(Settings.load(store=path, demo_on_start=False, intake_token=TOKEN))
    yield app
    app.server.extensions["gridcmd_store"].close()


def _today_rows(con, n, prefix):
    """Cases reported half an hour ago (Asia/Shanghai wall time): inside the overview's
    window, not in the future."""
    rows = incident_rows(con, n, prefix=prefix)
    stamp = (now_in() - timedelta(minutes=30)).replace(microsecond=0)
    for r in rows:
        r["reported_at"] = str(stamp)
        r["registered_at"] = str(stamp + timedelta(minutes=5))
        r["closed_at"] = ""
    return rows


def _browser_session(base: str, username: str, password: str):
    """A logged-in HTTP session on a running server, through the real login form."""
    import re

    import requests

    session = requests.Session()
    form = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = session.post(f"{base}/login", timeout=30, allow_redirects=False,
                        data={"username": username, "password": password,
                              "csrf_token": token, "next": "/"},
                        headers={"Origin": base})
    assert done.status_code == 303, done.text[:300]
    return session


def _overview_total(client, app) -> int:
    """Cases of the last 30 days on the overview map, as a refresh tick asks for them."""
    key = next(k for k in app.callback_map if ids.OVERVIEW_CRUMBS_NAV in k)
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in key.strip(".").split("...")]
    tick = f"{ids.OVERVIEW_REFRESH_INTERVAL}.n_intervals"
    payload = {"output": key, "outputs": outputs, "changedPropIds": [tick], "state": [],
               "inputs": [{"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": ""},
                          {"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value",
                           "value": "incidents"},
                          {"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
                          {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
                          {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals",
                           "value": 1}]}
    resp = post_callback(client, payload)
    assert resp.status_code == 200, resp.data[:300]
    return sum(resp.get_json()["response"][ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]
               ["values"].values())


def _viewer(app):
    """A dashboard user's client (the demo city leader of the copied demo store)."""
    client = app.server.test_client()
    login_client(client, *CITY_LEADER)
    return client


def test_disabled_without_token(ingest_store):
    # the default: no token, the endpoint answers 503 and the store stays read-only
    app = create_app(Settings.load(store=ingest_store, demo_on_start=False, intake_token=""))
    store = app.server.extensions["gridcmd_store"]
    resp = app.server.test_client().post("/api/intake/incidents", json=[{"a": 1}],
                                         headers=AUTH)
    assert resp.status_code == 503 and not store.writable
    store.close()


def test_token_is_required(intake_app):
    client = intake_app.server.test_client()
    assert client.post("/api/intake/incidents", json=[{}]).status_code == 401
    assert client.post("/api/intake/incidents", json=[{}],
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/intake/nope", json=[{}], headers=AUTH).status_code == 404
    assert client.post("/api/intake/incidents", data=b"{not json",
                       headers=AUTH).status_code == 400


def test_batch_is_validated_and_shows_on_the_next_refresh(intake_app):
    client = intake_app.server.test_client()
    viewer = _viewer(intake_app)
    store = intake_app.server.extensions["gridcmd_store"]
    before = _overview_total(viewer, intake_app)
    rows = _today_rows(store.cursor(), 8, "LIVE")
    rows[7]["reported_at"] = "2099-01-01 00:00:00"
    resp = client.post("/api/intake/incidents", headers=AUTH,
                       json={"source": "grid-app", "records": rows})
    assert resp.status_code == 200, resp.data
    body = resp.get_json()
    assert (body["rows_in"], body["inserted"], body["quarantined"]) == (8, 7, 1)
    assert body["quarantined_by_rule"] == {"future_time": 1}
    assert _overview_total(viewer, intake_app) == before + 7
    # the same batch again changes nothing
    again = client.post("/api/intake/incidents", headers=AUTH,
                        json={"source": "grid-app", "records": rows}).get_json()
    assert again["skipped"] == 8 and again["loaded"] == 0


def test_file_upload_with_mapping(intake_app):
    client = intake_app.server.test_client()
    con = intake_app.server.extensions["gridcmd_store"].cursor()
    base = pd.DataFrame(incident_rows(con, 4, prefix="UPL"))
    gx, gy = crs.wgs84_to_gcj02(base.lon.to_numpy(), base.lat.to_numpy())
    frame = pd.DataFrame({"工单编号": base.case_no, "诉求分类": "噪声扰民", "经度": gx, "纬度": gy,
                          "所属区县代码": "", "来电时间": "2026/11/01 08:00:00",
                          "受理时间": "", "派单时间": "", "办结时间": "", "归档时间": "",
                          "是否无效工单": "否"})
    data = {"file": (io.BytesIO(frame.to_csv(index=False).encode("gbk")), "工单.csv"),
            "mapping": (MAPPINGS / "hotline_12345.toml").read_text(encoding="utf-8")}
    resp = client.post("/api/intake/incidents/file", headers=AUTH, data=data,
                       content_type="multipart/form-data")
    assert resp.status_code == 200, resp.data
    assert resp.get_json()["inserted"] == 4
    assert con.execute("SELECT count(*) FROM import_batches WHERE source_file = '工单.csv'"
                       ).fetchone()[0] == 1


def test_file_upload_replaces_an_earlier_import(intake_app):
    # the hotline file first loaded with a category map that sends 噪声扰民 to the wrong
    # class, then sent again with the corrected map and replace=1: one import of it remains
    client = intake_app.server.test_client()
    con = intake_app.server.extensions["gridcmd_store"].cursor()
    base = pd.DataFrame(incident_rows(con, 3, prefix="RPU"))
    gx, gy = crs.wgs84_to_gcj02(base.lon.to_numpy(), base.lat.to_numpy())
    frame = pd.DataFrame({"工单编号": base.case_no, "诉求分类": "噪声扰民", "经度": gx, "纬度": gy,
                          "所属区县代码": "", "来电时间": "2026-11-01T00:00:00Z",
                          "受理时间": "", "派单时间": "", "办结时间": "", "归档时间": "",
                          "是否无效工单": "否"})
    body = frame.to_csv(index=False).encode("gbk")
    fixed = (MAPPINGS / "hotline_12345.toml").read_text(encoding="utf-8")
    wrong = fixed.replace('"噪声扰民" = "S0203"', '"噪声扰民" = "E0301"')
    assert wrong != fixed

    def send(mapping, **form):
        return client.post("/api/intake/incidents/file", headers=AUTH, data={
            "file": (io.BytesIO(body), "噪声工单.csv"), "mapping": mapping, **form},
            content_type="multipart/form-data")

    assert send(wrong).get_json()["inserted"] == 3
    assert send(wrong).get_json()["skipped"] == 3
    assert send(fixed, replace="maybe").status_code == 400
    resp = send(fixed, replace="1")
    assert resp.status_code == 200, resp.data
    got = resp.get_json()
    assert (got["updated"], got["replaced_batches"], got["removed"]) == (3, 1, 0), got
    assert (got["tz_offset_values"], got["store_timezone"]) == (3, "Asia/Shanghai")
    assert con.execute("SELECT DISTINCT category_code, CAST(reported_at AS VARCHAR) "
                       "FROM incidents WHERE case_no LIKE 'RPU%'").fetchall() == \
        [("S0203", "2026-11-01 08:00:00")]
    assert con.execute("SELECT count(*) FROM import_batches WHERE source_file = '噪声工单.csv'"
                       ).fetchone()[0] == 1


def test_visits_and_surveys_by_json(intake_app):
    # the endpoint is generic over the kinds: a 走访 and a 回访 batch in our field names
    client = intake_app.server.test_client()
    con = intake_app.server.extensions["gridcmd_store"].cursor()
    person = con.execute("SELECT p.id_number, v.due_date FROM visits AS v JOIN key_person_pii "
                         "AS p ON p.person_id = v.person_id ORDER BY v.id LIMIT 1").fetchone()
    due = person[1] + timedelta(days=1)
    visits = [{"id_number": person[0], "due_date": str(due), "visited_at": f"{due} 10:00:00",
               "kind": "上门走访"},
              {"id_number": person[0], "due_date": str(due + timedelta(days=1)),
               "kind": "登门拜年"}]
    body = client.post("/api/intake/visits", headers=AUTH, json=visits).get_json()
    assert (body["inserted"], body["quarantined_by_rule"]) == (1, {"unknown_value": 1}), body
    case = con.execute("SELECT case_no, closed_at FROM incidents WHERE closed_at IS NOT NULL "
                       "AND id NOT IN (SELECT incident_id FROM surveys) ORDER BY closed_at "
                       "LIMIT 1").fetchone()
    surveys = [{"case_no": case[0], "surveyed_at": str(case[1] + timedelta(hours=2)),
                "channel": "短信", "rating": "满意"}]
    body = client.post("/api/intake/surveys", headers=AUTH, json=surveys).get_json()
    assert body["inserted"] == 1 and body["summaries"] == "incremental", body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url, body, token=TOKEN):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())


def test_running_server_takes_http_batches_and_cli_files_at_once(ingest_store, tmp_path):
    store = copy_store(ingest_store, tmp_path)
    with duckdb.connect(str(store), read_only=True) as con:
        city = con.execute("SELECT code FROM regions WHERE level = 'city'").fetchone()[0]
        http_rows = incident_rows(con, 60, prefix="HTTP")
        cli_rows = pd.DataFrame(incident_rows(con, 50, prefix="CLI", seed=2))
    cli_rows.to_csv(tmp_path / "cli.csv", index=False)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "GRIDCMD_INTAKE_TOKEN": TOKEN, "GRIDCMD_DEMO_ON_START": "false",
           "GRIDCMD_PORT": str(port), "GRIDCMD_STORE": str(store),
           # plain http on 127.0.0.1: the test's HTTP client would not send a Secure cookie
           "GRIDCMD_COOKIE_SECURE": "false"}
    server = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        else:
            pytest.fail("server did not start: " + server.stdout.read1().decode())
        errors, reads, stop = [], [0], threading.Event()
        user = _browser_session(base, *CITY_LEADER)

        def reader():
            while not stop.is_set():
                try:
                    r = user.get(f"{base}/geo/{city}.geojson", timeout=60)
                    assert r.status_code == 200, r.status_code
                    reads[0] += 1
                except Exception as exc:  # any failure of a user's request counts
                    errors.append(repr(exc))

        def pusher():
            for i in range(0, 60, 10):
                out = _post(f"{base}/api/intake/incidents",
                            {"source": "iot", "records": http_rows[i:i + 10]})
                assert out["inserted"] == 10, out

        threads = [threading.Thread(target=reader), threading.Thread(target=pusher)]
        for t in threads:
            t.start()
        cli = subprocess.run([sys.executable, "-m", "dashboard.cli", "import", "records",
                              "--kind", "incidents", str(tmp_path / "cli.csv")],
                             env=env, capture_output=True, text=True, timeout=300)
        threads[1].join()
        stop.set()
        threads[0].join()
        assert cli.returncode == 0, cli.stderr
        assert "sent to" in cli.stdout and "loaded 50" in cli.stdout, cli.stdout
        assert errors == [] and reads[0] > 0
    finally:
        server.terminate()
        server.wait(timeout=30)
    with duckdb.connect(str(store), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM incidents WHERE case_no LIKE 'HTTP%' "
                        "OR case_no LIKE 'CLI%'").fetchone()[0]
        logged = con.execute("SELECT sum(inserted) FROM import_batches WHERE via = 'http'"
                             ).fetchone()[0]
    assert n == 110 and logged == 110
