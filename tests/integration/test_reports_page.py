"""The 通报 page and its downloads: jurisdiction, id manipulation, audit.

An archive with one report per region of several levels (and one of another city), each
named ``CANARY-<region>``, is served with the session demo store. Every demo user opens
/reports through the pages router and tries to download every archived report by id, in
every format, plus ids and paths made up to escape: they must list and download exactly
the reports whose region lies in their jurisdiction (a grid worker none, the screen none),
and every download leaves an audit row.
"""

from __future__ import annotations

import dataclasses
import io
import re
import sqlite3
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from auth_helpers import DEMO_PASSWORDS, login_client, post_callback
from docx import Document

from dashboard import create_app
from dashboard.auth.demo import DEMO_ACCOUNTS
from dashboard.kpi import Scope
from dashboard.report import build_report
from dashboard.report.archive import Archive

CANARY = re.compile(r"CANARY-([0-9]{4,12})")
REGIONS = ("3206", "320612", "320613", "320612001", "320612002", "320612001001",
           "320612001002", "3207")
USERS = {name: (role, region.split(",")[0]) for name, role, region, _, _ in DEMO_ACCOUNTS}


def visible(user: str, region: str) -> bool:
    role, scope = USERS[user]
    return role != "screen" and region.startswith(scope)


@pytest.fixture(scope="module")
def archive_settings(settings, demo, tmp_path_factory):
    root = tmp_path_factory.mktemp("reports") / "archive"
    archive = Archive(root)
    end = demo.execute("SELECT value FROM meta WHERE key = 'history_end'").fetchone()[0]
    first = (datetime.fromisoformat(end).date().replace(day=1) - timedelta(days=1)) \
        .replace(day=1)
    base = build_report(demo, Scope("320612", "admin"), first, as_of=datetime(2099, 1, 1))
    entries = {}
    for i, region in enumerate(REGIONS):
        report = dataclasses.replace(base, region=region, region_name=f"CANARY-{region}",
                                     title=f"CANARY-{region} 通报",
                                     as_of=datetime(2099, 1, 1, 0, i))
        entries[region] = archive.add(report, ["docx", "pdf"],
                                      generated_at=datetime(2099, 1, 1), origin="cli")
    return dataclasses.replace(settings, report_archive=str(root)), entries, first


@pytest.fixture(scope="module")
def app(archive_settings):
    app = create_app(archive_settings[0])
    app.server.test_client().get("/login")  # the first request registers the pages router
    return app


@pytest.fixture(scope="module")
def clients(app):
    out = {}
    for name in USERS:
        client = app.server.test_client()
        login_client(client, name, DEMO_PASSWORDS[name])
        out[name] = client
    return out


def router_body(app, pathname: str) -> dict:
    key = next(k for k in app.callback_map if "_pages_content" in k)
    spec = app.callback_map[key]

    def deps(items):
        return [{"id": d["id"], "property": d["property"],
                 "value": pathname if d["property"] == "pathname" else None}
                for d in items]

    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key[2:-2].split("...")] if key.startswith("..") else \
        {"id": key.rsplit(".", 1)[0], "property": key.rsplit(".", 1)[1]}
    first = spec["inputs"][0]
    return {"output": key, "outputs": outputs, "inputs": deps(spec["inputs"]),
            "state": deps(spec["state"]),
            "changedPropIds": [f"{first['id']}.{first['property']}"]}


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_page_lists_exactly_the_jurisdictions_reports(app, clients, archive_settings,
                                                         user):
    _, entries, _ = archive_settings
    response = post_callback(clients[user], router_body(app, "/reports"))
    if USERS[user][0] == "screen":
        assert response.status_code == 403  # the screen is held to the overview
        return
    assert response.status_code == 200
    text = response.get_data(as_text=True).replace("\\u002f", "/")  # "/" escaped
    listed = set(CANARY.findall(text))
    assert listed == {r for r in REGIONS if visible(user, r)}, user
    for region, entry in entries.items():
        assert (f"/reports/file/{entry.id}.docx" in text) == visible(user, region)
    if USERS[user][0] == "grid_worker":
        assert "reports-empty" in text


@pytest.mark.parametrize("user", sorted(USERS))
def test_downloads_only_inside_the_jurisdiction_and_audited(clients, archive_settings,
                                                             user):
    settings, entries, first = archive_settings
    client = clients[user]
    for region, entry in entries.items():
        for fmt in ("docx", "pdf", "xlsx"):
            before = _audit_count(settings, user)
            response = client.get(f"/reports/file/{entry.id}.{fmt}")
            if USERS[user][0] == "screen":
                assert response.status_code == 403
                continue
            ok = visible(user, region) and fmt != "xlsx"  # no xlsx was archived
            assert response.status_code == (200 if ok else 404), (user, region, fmt)
            assert _audit_count(settings, user) == before + ok
            if ok:
                assert response.headers["Cache-Control"] == "no-store"
                assert response.headers["Content-Disposition"].endswith(
                    f"{quote(f'通报_{region}_{first:%Y-%m}')}.{fmt}")
                if fmt == "docx":
                    doc = Document(io.BytesIO(response.data))
                    assert doc.paragraphs[0].text == f"CANARY-{region} 通报"
            else:
                assert b"CANARY" not in response.data


MADE_UP = ("../index.sqlite", "..%2Findex.sqlite", "%2e%2e%2findex", "index", "0" * 16,
           "ffffffffffffffff", "%", "' OR 1=1 --", "A" * 16)


@pytest.mark.parametrize("user", ["city_leader", "county_analyst", "grid_worker"])
def test_made_up_ids_and_paths_give_nothing(clients, archive_settings, user):
    _, entries, _ = archive_settings
    client = clients[user]
    for ident in MADE_UP:
        for fmt in ("docx", "pdf", "sqlite", "json"):
            response = client.get(f"/reports/file/{ident}.{fmt}")
            assert response.status_code in (400, 404), (ident, fmt)
            assert b"CANARY" not in response.data
    some = entries["320613"]
    for path in (f"/reports/file/{some.id}.json", f"/reports/file/{some.id}/snapshot.json",
                 f"/reports/file/{some.id}.docx/../../index.sqlite",
                 f"/reports/file/{some.id.upper()}.docx"):
        response = client.get(path)
        # not the route's pattern: Dash's page catch-all answers with the app's HTML page
        assert response.status_code in (400, 404) or response.mimetype == "text/html", path
        assert b"CANARY" not in response.data and b"headline" not in response.data


def test_without_a_session_nothing_is_served(app, archive_settings):
    _, entries, _ = archive_settings
    client = app.server.test_client()
    response = client.get(f"/reports/file/{entries['3206'].id}.pdf")
    assert response.status_code in (302, 401, 403)
    assert not response.data.startswith(b"%PDF")


def _audit_count(settings, user: str) -> int:
    with sqlite3.connect(settings.auth_db) as db:
        return db.execute("SELECT count(*) FROM audit WHERE username = ? AND action = 'report'",
                          (user,)).fetchone()[0]


def test_generated_ids_and_formats_never_fail_or_serve(clients, archive_settings):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client = clients["county_analyst"]
    entries = archive_settings[1]
    other = entries["320613"].id
    text = st.text(max_size=24) | st.sampled_from([other, other.upper(), other[:-1], "..",
                                                   "index", "snapshot"])

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ident=text, fmt=text | st.sampled_from(["docx", "pdf", "xlsx", "json"]))
    def run(ident, fmt):
        if any(c in ident + fmt for c in "/\\?#%") or not ident or not fmt:
            return
        response = client.get(f"/reports/file/{ident}.{fmt}")
        assert response.status_code < 500
        assert b"CANARY" not in response.data

    run()
