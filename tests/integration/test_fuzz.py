"""Issue 15: the fuzz pass. Every server callback of ``app.callback_map`` and every JSON
endpoint gets generated bodies (wrong types, huge numbers, control characters, deep nesting,
oversize frames); no answer may be a 500 or carry a traceback. Bounded (derandomized,
a fixed number of examples each) so the whole file stays within about two minutes.
"""

from __future__ import annotations

import json

import pytest
from auth_helpers import DEMO_PASSWORDS, ORIGIN, login_client, post_callback
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import create_app
from dashboard.settings import Settings
from tests.integration.test_security import callback_body, server_callbacks
from tests.unit.ingest_helpers import copy_store

TOKEN = "fuzz-token"
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                max_size=40) | st.sampled_from(
    ["\x00", "\x1b[31m", "=1+1", "' OR 1=1 --", "3206", "320612001001", "../../etc",
     "%", "{}", "?period=custom&from=0001-01-01&to=9999-12-31", "?grid=" + "1" * 15,
     "?region=320612&pcat=吸毒人员", "NaN", "Infinity", "-1", "1e309"])
numbers = st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False,
                                                                       allow_infinity=False)
leaves = st.none() | st.booleans() | numbers | texts
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(texts, inner, max_size=4), max_leaves=12)


def deep(depth: int) -> list:
    """A list nested ``depth`` levels (encode deep ones as text: json recurses)."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture(scope="module")
def fuzz_app(settings):
    return create_app(settings)


@pytest.fixture(scope="module")
def analyst(fuzz_app):
    client = fuzz_app.server.test_client()
    login_client(client, "county_analyst", DEMO_PASSWORDS["county_analyst"])
    return client


def _ok(response, what) -> None:
    text = response.get_data().decode("utf-8", "replace")
    assert response.status_code < 500, (what, response.status_code, text[:300])
    assert "Traceback" not in text and 'File "' not in text, what


def test_every_callback_with_generated_inputs(fuzz_app, analyst):
    keys = server_callbacks(fuzz_app)

    @FUZZ
    @given(key=st.sampled_from(keys), data=st.data())
    def run(key, data):
        body = callback_body(fuzz_app, key, None)
        for field in ("inputs", "state"):
            for i in range(len(body[field])):
                if data.draw(st.booleans()):
                    entry = body[field][i]
                    target = entry[0] if isinstance(entry, list) and entry else entry
                    if isinstance(target, dict):
                        target["value"] = data.draw(values)
        _ok(post_callback(analyst, body), (key, json.dumps(body, default=str)[:300]))

    run()


def test_callback_frames_malformed_deep_and_oversize(fuzz_app, analyst):
    keys = server_callbacks(fuzz_app)

    @FUZZ
    @given(frame=st.dictionaries(st.sampled_from(["output", "outputs", "inputs", "state",
                                                  "changedPropIds"]) | texts, values,
                                 max_size=6),
           key=st.sampled_from(keys))
    def run(frame, key):
        if "output" not in frame:
            frame["output"] = key
        _ok(post_callback(analyst, frame), json.dumps(frame, default=str)[:300])

    run()
    nested = "[" * 5000 + "]" * 5000
    for raw in (json.dumps(deep(50)), nested,
                json.dumps({"output": keys[0], "inputs": "X"}).replace('"X"', nested)):
        response = analyst.post("/_dash-update-component", data=raw.encode(),
                                headers={"Origin": ORIGIN, "Content-Type": "application/json"})
        _ok(response, raw[:40])
    # well-formed, but its outputs are not the callback's: a pattern-matching output id
    # sent as the JSON text of the dict (Dash's own check refuses it: 400, not 500)
    key = next(k for k in keys if '{"' in k and "ALL" not in k and "MATCH" not in k)
    frame = callback_body(fuzz_app, key, None)
    wrong = frame["outputs"] if isinstance(frame["outputs"], list) else [frame["outputs"]]
    for out in wrong:
        if isinstance(out, dict) and isinstance(out["id"], dict):
            out["id"] = json.dumps(out["id"], separators=(",", ":"), sort_keys=True)
    response = post_callback(analyst, frame)
    assert response.status_code == 400, (response.status_code, response.get_data()[:200])
    assert response.get_json()["error"] == "malformed callback request"
    raw = b'{"output": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = analyst.post("/_dash-update-component", data=raw,
                            headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    assert response.status_code == 413
    for raw in (b"{", b"[1,2", b"\xff\xfe\x00", b'{"output": 1e999}', b"null"):
        response = analyst.post("/_dash-update-component", data=raw,
                                headers={"Origin": ORIGIN, "Content-Type": "application/json"})
        _ok(response, raw)


GET_ROUTES = ("/api/persons/counts", "/api/persons", "/api/persons/export.csv",
              "/api/points/incident.geojson", "/api/points/hazard.geojson",
              "/export/cases.csv", "/export/cases.xlsx")


def test_json_get_endpoints_with_generated_queries(fuzz_app, analyst):
    names = st.sampled_from(["region", "by", "limit", "clear", "period", "from", "to", "grid",
                             "pcat", "major", "minor", "source", "status"]) | texts

    @FUZZ
    @given(path=st.sampled_from(GET_ROUTES), query=st.dictionaries(names, texts, max_size=4),
           code=texts)
    def run(path, query, code):
        _ok(analyst.get(path, query_string=query), (path, query))
        for route in (f"/geo/{code}.geojson", f"/points/{code}.geojson",
                      f"/api/persons/{code}"):
            if "/" in code or "\\" in code or "?" in code or "#" in code:
                continue
            _ok(analyst.get(route), route)

    run()


@pytest.fixture(scope="module")
def intake_client(ingest_store, tmp_path_factory):
    path = copy_store(ingest_store, tmp_path_factory.mktemp("fuzz"))
    app = create_app(Settings.load(store=path, demo_on_start=False, intake_token=TOKEN))
    yield app.server.test_client()
    app.server.extensions["gridcmd_store"].close()


def test_intake_with_generated_batches(intake_client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    field = st.sampled_from(["case_no", "source", "category_code", "reported_at",
                             "rework_count", "extended_hours", "lon", "lat", "grid_code",
                             "is_void", "status"]) | texts
    record = st.dictionaries(field, values, max_size=6) | values

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(kind=st.sampled_from(["incidents", "key_persons", "visits", "surveys",
                                 "sensor_readings", "hazards", "nope"]),
           body=st.lists(record, max_size=5) | values)
    def run(kind, body):
        response = intake_client.post(f"/api/intake/{kind}", headers=auth,
                                      data=json.dumps(body, default=str),
                                      content_type="application/json")
        _ok(response, (kind, json.dumps(body, default=str)[:300]))

    run()
    for raw in (b"[" * 3000 + b"]" * 3000, b"[" * 100000, b"\x00\x01"):
        response = intake_client.post("/api/intake/incidents", headers=auth, data=raw,
                                      content_type="application/json")
        assert response.status_code == 400, raw[:20]


def test_mygrid_report_with_generated_forms(fuzz_app):
    """我的网格's quick report (multipart form) with generated fields and files."""
    worker = fuzz_app.server.test_client()
    login_client(worker, "grid_worker", DEMO_PASSWORDS["grid_worker"])
    field = st.sampled_from(["category", "lon", "lat", "text", "client_id", "grid"]) | texts

    @FUZZ
    @given(form=st.dictionaries(field, texts | numbers.map(str), max_size=6),
           photo=st.none() | st.binary(max_size=64), name=texts)
    def run(form, photo, name):
        data = dict(form)
        if photo is not None:
            import io

            data["photo"] = (io.BytesIO(photo), name or "p")
        response = worker.post("/api/mygrid/report", data=data, headers={"Origin": ORIGIN},
                               content_type="multipart/form-data")
        _ok(response, form)
        assert response.status_code in (400, 403, 413, 415, 503), response.status_code

    run()
    for path in ("/mygrid", "/mygrid/static/x/mygrid.js", "/mygrid/static/../../x",
                 "/mygrid/static/%00/mygrid.css"):
        _ok(worker.get(path), path)
