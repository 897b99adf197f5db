"""The read path: the result cache of ``queries.run`` (keyed by query, parameters and store
version), its time limit, and the overview's page memo (who asks is in every key, one
computation for concurrent callbacks)."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta

import duckdb
import pandas as pd
import pytest
from auth_helpers import CITY_LEADER, COUNTY_ANALYST, TOWN_ANALYST, login_client, post_callback

import queries
from dashboard import create_app, ids, pagememo
from dashboard.clock import now_in as now_local
from dashboard.settings import Settings
from dashboard.store import Store
from queries import names as Q
from tests.unit.ingest_helpers import copy_store, incident_rows

TOKEN = "cache-token"


def _body(app, output_id, region="", indicator=None, tick=0):
    key = next(k for k in app.callback_map if output_id in k)
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in key.strip(".").split("...")]
    inputs = [{"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region}]
    if indicator:
        inputs.append({"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value",
                       "value": indicator})
    inputs += [{"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
               {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
               {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": tick}]
    return {"output": key, "outputs": outputs, "inputs": inputs, "changedPropIds": [],
            "state": []}


def _panels(client, app, region=""):
    resp = post_callback(client, _body(app, ids.OVERVIEW_CARDS_DIV, region))
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


def _map_total(client, app, region=""):
    body = _body(app, ids.OVERVIEW_CRUMBS_NAV, region, indicator="incidents", tick=1)
    resp = post_callback(client, body)
    assert resp.status_code == 200, resp.data[:300]
    return sum(resp.get_json()["response"][ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]
               ["values"].values())


def test_a_cache_hit_equals_the_query_and_cannot_be_changed_by_a_caller(demo_store):
    con = duckdb.connect(str(demo_store), read_only=True)
    try:
        queries.clear_cache()
        fresh = queries.run(con, Q.OVERVIEW_LINEAGE, short_codes=["3206", "320612"])
        with queries.reading("v-test"):
            first = queries.run(con, Q.OVERVIEW_LINEAGE, short_codes=["3206", "320612"])
            hits = queries.result_cache().hits
            second = queries.run(con, Q.OVERVIEW_LINEAGE, short_codes=["3206", "320612"])
            assert queries.result_cache().hits == hits + 1
            pd.testing.assert_frame_equal(first, fresh)
            pd.testing.assert_frame_equal(second, fresh)
            second["name"] = "changed by a caller"  # a copy: the cache keeps its own
            third = queries.run(con, Q.OVERVIEW_LINEAGE, short_codes=["3206", "320612"])
            pd.testing.assert_frame_equal(third, fresh)
            arrays = queries.run(con, Q.OVERVIEW_LINEAGE, short_codes=["3206"],
                                 form="arrays")
            again = queries.run(con, Q.OVERVIEW_LINEAGE, short_codes=["3206"],
                                form="arrays")
            assert list(again["short_code"]) == list(arrays["short_code"]) == ["3206"]
            with pytest.raises(ValueError):
                again["short_code"][0] = "9999"
        # another version (or none) never reads the entry
        with queries.reading("v-other"):
            hits = queries.result_cache().hits
            queries.run(con, Q.OVERVIEW_LINEAGE, short_codes=["3206", "320612"])
            assert queries.result_cache().hits == hits
    finally:
        con.close()


def test_the_time_limit_stops_a_long_query_with_a_clear_error():
    con = duckdb.connect()
    # a `meta` whose scan never ends: meta_levels reads it
    con.execute("CREATE VIEW meta AS SELECT CAST(i AS VARCHAR) AS key, 'x' AS value "
                "FROM range(1000000000000) t(i)")
    started = time.monotonic()
    with queries.reading(timeout=0.3), pytest.raises(queries.QueryTimeout,
                                                     match="meta_levels.*0.3 s time limit"):
        queries.run(con, Q.REGION_META_LEVELS)
    assert time.monotonic() - started < 60
    # the cursor is usable afterwards, and without a limit nothing is stopped
    assert con.execute("SELECT 42").fetchone() == (42,)
    con.close()


def test_concurrent_identical_requests_compute_once():
    memo = pagememo.Memo()
    calls = []
    gate = threading.Event()

    def compute():
        calls.append(1)
        gate.wait(5)
        return {"value": 7}

    got = []
    threads = [threading.Thread(target=lambda: got.append(memo.get(("kind", 1), compute)))
               for _ in range(8)]
    for th in threads:
        th.start()
    time.sleep(0.3)
    gate.set()
    for th in threads:
        th.join(10)
    assert len(calls) == 1 and memo.computed["kind"] == 1
    assert got == [{"value": 7}] * 8
    # an error reaches the waiters and is not kept
    with pytest.raises(KeyError):
        memo.get(("bad",), lambda: {}["x"])
    assert memo.get(("bad",), lambda: 5) == 5


def test_one_click_computes_the_shared_page_data_once(app, client):
    memo = pagememo.memo_of(app.server)
    bodies = [_body(app, ids.OVERVIEW_CRUMBS_NAV, "320612000000", indicator="incidents"),
              _body(app, ids.OVERVIEW_LEAGUE_LIST, "320612000000"),
              _body(app, ids.OVERVIEW_CARDS_DIV, "320612000000")]
    before = dict(memo.computed)
    status = []

    def post(body):
        status.append(post_callback(client, body).status_code)

    threads = [threading.Thread(target=post, args=(b,)) for b in bodies]
    for th in threads:
        th.start()
    for th in threads:
        th.join(600)
    assert status == [200, 200, 200]
    after = memo.computed
    # the region in view: once for the three (the as-of moment too, unless the store's
    # clock crossed a minute between them: its key holds the minute)
    assert after["view"] - before.get("view", 0) == 1
    assert 1 <= after["asof"] - before.get("asof", 0) <= 2
    # the map's units: read once for the map and the league (unless the minute turned)
    assert 1 <= after["units"] - before.get("units", 0) <= 2
    for body in bodies:  # once more: the view is a lookup
        assert post_callback(client, body).status_code == 200
    assert after["view"] - before.get("view", 0) == 1


def _map(client, app, region=""):
    body = _body(app, ids.OVERVIEW_CRUMBS_NAV, region, indicator="incidents")
    resp = post_callback(client, body)
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


def test_a_town_user_never_gets_the_citys_cached_page(app, client):
    city_map, city_panels = _map(client, app), _panels(client, app)  # cached for the city
    town_client = app.server.test_client()
    login_client(town_client, *TOWN_ANALYST)
    # the same inputs (no region: one's own), the same store version, the same minute
    town_map, town_panels = _map(town_client, app), _panels(town_client, app)
    city_units = set(city_map[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]["values"])
    town_units = set(town_map[ids.OVERVIEW_REGIONS_GEOJSON]["hideout"]["values"])
    assert town_units and not town_units & city_units
    assert town_map[ids.OVERVIEW_TITLE_TEXT] != city_map[ids.OVERVIEW_TITLE_TEXT]
    assert town_panels[ids.OVERVIEW_CARDS_DIV] != city_panels[ids.OVERVIEW_CARDS_DIV]
    # and the city leader's next look is still the city's
    assert _map(client, app) == city_map


def away_from_a_minute_turn() -> None:
    """Page values are keyed by the minute: let a short test run inside one."""
    second = time.localtime().tm_sec
    if second > 40:
        time.sleep(61 - second)


def send_open_cases(app, store, n: int, prefix: str, token: str) -> None:
    """Post ``n`` new open cases, reported half an hour ago, to the app's live intake."""
    rows = incident_rows(store.cursor(), n, prefix=prefix)
    stamp = (now_local() - timedelta(minutes=30)).replace(microsecond=0)
    for r in rows:
        r["reported_at"] = str(stamp)
        r["registered_at"] = str(stamp + timedelta(minutes=5))
        r["closed_at"] = ""
    resp = app.server.test_client().post(
        "/api/intake/incidents", json={"source": "cache-test", "records": rows},
        headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.data[:300]
    assert resp.get_json()["inserted"] == n


def test_a_write_changes_the_version_and_the_next_read_sees_it(ingest_store, tmp_path):
    path = copy_store(ingest_store, tmp_path)
    app = create_app(Settings.load(store=path, demo_on_start=False, intake_token=TOKEN))
    store: Store = app.server.extensions["gridcmd_store"]
    try:
        viewer = app.server.test_client()
        login_client(viewer, *CITY_LEADER)
        before_version = store.version()
        before = _map_total(viewer, app)
        assert _map_total(viewer, app) == before  # a cached answer, the same
        send_open_cases(app, store, 5, "MEMO", TOKEN)
        assert store.version() != before_version  # at once, no waiting for the TTL
        assert _map_total(viewer, app) == before + 5
    finally:
        store.close()


def test_workers_share_page_values_and_results_through_the_store_cache(settings, tmp_path):
    """With several workers the page memo and the query results live in one shared cache:
    a second worker (a cache with an empty in-process part) answers the same request with
    the same JSON without computing, and it equals a one-process app's answer."""
    from queries.shared_cache import SharedCache

    single = create_app(settings)
    one = single.server.test_client()
    login_client(one, *CITY_LEADER)
    expected = _panels(one, single, "320612000000")
    shared_settings = dataclasses.replace(settings, workers=2,
                                          store=str(tmp_path / "demo.duckdb"))
    (tmp_path / "demo.duckdb").symlink_to(settings.store)
    try:
        app = create_app(shared_settings)
        cache = queries.result_cache()
        assert isinstance(cache, SharedCache)
        assert cache.directory == tmp_path / "demo.duckdb.cache"
        cache.share_ms = 0  # share every value, the quick ones too (the default keeps those)
        client = app.server.test_client()
        login_client(client, *CITY_LEADER)
        assert _panels(client, app, "320612000000") == expected
        memo = pagememo.memo_of(app.server)
        computed = dict(memo.computed)
        assert computed and cache.computed > 0
        cache.local.clear()  # as another worker: nothing in its own memory
        assert _panels(client, app, "320612000000") == expected
        assert dict(memo.computed) == computed  # every value came from the folder
    finally:
        queries.use_cache(queries.LruCache())


def test_workers_keep_a_finished_export_and_audit_every_download(settings, tmp_path,
                                                                   auth_store):
    """With several workers an export is kept whole in the shared cache: the same export
    asked again (same user, filters, store version and minute) is the same bytes read back,
    still audited with its ids before any byte; a stopped download keeps nothing; another
    user's export is never the kept one."""

    from queries.shared_cache import SharedCache

    (tmp_path / "demo.duckdb").symlink_to(settings.store)
    shared = dataclasses.replace(settings, workers=2, store=str(tmp_path / "demo.duckdb"))
    try:
        app = create_app(shared)
        cache = queries.result_cache()
        assert isinstance(cache, SharedCache)
        client = app.server.test_client()
        login_client(client, *CITY_LEADER)
        search = "/export/cases.csv?period=30d&region=320612"
        first = client.get(search)
        body = first.data
        assert first.status_code == 200 and body.startswith("\ufeff案件编号".encode())
        kept = [k for k in cache.disk.iterkeys() if str(k).endswith(":meta")]
        assert len(kept) == 1
        second = client.get(search)
        assert second.data == body
        assert second.headers["X-Row-Count"] == first.headers["X-Row-Count"]
        audits = auth_store.audit_rows(limit=2, username=CITY_LEADER[0])
        assert [a["action"] for a in audits] == ["export", "export"]
        assert audits[0]["ids"] == audits[1]["ids"]
        assert len(audits[0]["ids"]) == int(first.headers["X-Row-Count"])
        # a download stopped after its first piece keeps nothing
        stopped = client.get("/export/cases.csv?period=30d&region=320613", buffered=False)
        next(iter(stopped.response))
        stopped.close()
        assert len([k for k in cache.disk.iterkeys() if str(k).endswith(":meta")]) == 1
        # the county analyst's same request (the same rows: 320612 is their county) is
        # made and kept as their own file, never read from the city leader's
        county = app.server.test_client()
        login_client(county, *COUNTY_ANALYST)
        mine = county.get(search)
        assert mine.status_code == 200 and mine.data == body
        assert len([k for k in cache.disk.iterkeys() if str(k).endswith(":meta")]) == 2
    finally:
        queries.use_cache(queries.LruCache())


def _analysis(client, app, page, search):
    from auth_helpers import callback_request

    body = callback_request(app, ids.page_id(page, "total", "text"),
                            [{"id": ids.FILTER_URL, "property": "search", "value": search}])
    resp = post_callback(client, body)
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


@pytest.mark.parametrize("page", ["cases", "timeliness", "linkage"])
def test_an_analysis_page_asked_again_is_computed_once_per_user(app, client, page):
    """The analysis pages' and the case list's outputs are memoised like the overview's:
    the same filters in the same version and minute are one computation, equal to a fresh
    one, and another jurisdiction's user never gets them."""
    memo = pagememo.memo_of(app.server)
    kind = "cases_out" if page == "cases" else "analysis_out"
    away_from_a_minute_turn()
    before = memo.computed[kind]
    first = _analysis(client, app, page, "?period=30d")
    assert memo.computed[kind] == before + 1
    assert _analysis(client, app, page, "?period=30d") == first
    assert memo.computed[kind] == before + 1
    town = app.server.test_client()
    login_client(town, *TOWN_ANALYST)
    town_page = _analysis(town, app, page, "?period=30d")
    assert memo.computed[kind] == before + 2
    assert town_page != first
    # computed afresh at the same moment (the result cache keeps the minute's moment; a
    # later one moves the 30 days' start and may rightly change the figures)
    memo.clear()
    assert _analysis(client, app, page, "?period=30d") == first


def test_the_person_list_is_never_memoised(app, client):
    """Its view is audited each time (docs/security.md): it is computed at every request."""
    memo = pagememo.memo_of(app.server)
    before = memo.computed["analysis_out"]
    first = _analysis(client, app, "persons", "?period=30d")
    assert _analysis(client, app, "persons", "?period=30d") == first
    assert memo.computed["analysis_out"] == before
