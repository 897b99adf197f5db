"""The open-items table updated in place after import and intake batches
(``dashboard/open_items.py`` ``update``, ``queries/overview/items_update.sql`` and
``items_rank.sql``) equals a full refill row for row, after every batch of a sequence:

- new cases of the last day through the intake writer's own write (``Intake.write_records``
  on a writable ``Store``, what the gunicorn ``IntakeWriter`` calls: the additive refresh);
- a batch that closes open cases, moves others on in their lifecycle (a status change)
  and adds new ones (the key-wise refresh of one batch);
- late cases with old report times, open (alert candidates outside the feed's week);
- a hazards batch raising one to 重大, then one rectifying it and raising another, with
  sensor alerts changed beside it (one handled, a new 严重 one: no import writes sensor
  alerts, so an update that compares hazards compares them too);
- a file of several batches (the pending refresh, which knows grids, not cases) that
  closes and voids cases and moves one to another grid;
- the store's newest cases corrected to an older report time (the newest event moves
  back: the update refills);
- the lakeport_311 real-world-style export (tests/fixtures/realworld/), its first months
  loaded whole, then its last weeks as a batch, then a batch closing its open requests.

"Equal" is ``EXCEPT ALL`` both ways over every column (the per-level lists included) and
the same ``valid_from``. Every batch but the correction to an older time takes the
in-place path (no refill: a spy wraps the real ``refresh`` and counts its calls)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from dashboard import open_items
from dashboard.ingest.intake import Intake
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.settings import Settings
from dashboard.store import Store
from tests.unit.ingest_helpers import copy_store, incident_rows

REFILL = open_items.refresh  # the real full refill (the spy below wraps it)
ROOT = Path(__file__).resolve().parents[2]
LAKEPORT = ROOT / "tests" / "fixtures" / "realworld" / "lakeport_311"


def _differences(con) -> tuple[int, int, int, bool]:
    """Rows of open_items not in a full refill, rows of the refill not in it, the refill's
    rows, and whether valid_from agrees (the refill is rolled back)."""
    con.execute("CREATE OR REPLACE TEMP TABLE oi_kept AS SELECT * FROM open_items")
    con.execute("CREATE OR REPLACE TEMP TABLE oi_asof AS SELECT * FROM open_items_asof")
    con.execute("BEGIN TRANSACTION")
    try:
        REFILL(con)
        out = con.execute("""
            SELECT (SELECT count(*) FROM (SELECT * FROM oi_kept
                                          EXCEPT ALL SELECT * FROM open_items)),
                   (SELECT count(*) FROM (SELECT * FROM open_items
                                          EXCEPT ALL SELECT * FROM oi_kept)),
                   (SELECT count(*) FROM open_items),
                   (SELECT list(valid_from) FROM open_items_asof)
                       = (SELECT list(valid_from) FROM oi_asof)""").fetchone()
    finally:
        con.execute("ROLLBACK")
        con.execute("DROP TABLE oi_kept")
        con.execute("DROP TABLE oi_asof")
    return int(out[0]), int(out[1]), int(out[2]), bool(out[3])


def _assert_equal_to_refill(con, label: str) -> int:
    extra, missing, rows, same_from = _differences(con)
    assert (extra, missing, same_from) == (0, 0, True), label
    assert rows > 0, label
    return rows


@pytest.fixture
def refills(monkeypatch) -> list:
    """The full refills run (a spy around the real one: it still refills)."""
    calls: list = []

    def spy(con):
        calls.append(1)
        return REFILL(con)

    monkeypatch.setattr(open_items, "refresh", spy)
    return calls


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("reported_at", "registered_at", "dispatched_at", "closed_at"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col].replace("", None))
    return frame


# --- the small demo store: intake writer, imports, a deferred file, a replaced one --------


@pytest.fixture
def writer(ingest_store, tmp_path):
    path = copy_store(ingest_store, tmp_path)
    settings = Settings.load(store=path, demo_on_start=False, intake_token="t0ken")
    store = Store(path, writable=True)
    yield store, Intake(store, settings)
    store.close()


def test_batches_keep_it_equal_to_a_refill(writer, refills, tmp_path):
    store, intake = writer
    con = store.cursor()
    _assert_equal_to_refill(con, "the demo build")
    newest = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
    day = (newest - timedelta(days=1)).date().isoformat()  # in the feed's week, not future

    # 1) intake: new cases of the last day, open and closed (additive refresh)
    rows = incident_rows(con, 9, prefix="LIVE", day=day, seed=11)
    summary = intake.write_records("incidents", rows, "test")
    assert (summary["inserted"], summary["summaries"]) == (9, "additive"), summary
    assert con.execute("SELECT count(*) FROM open_items WHERE starts_with(ref, 'LIVE') "
                       "AND listed").fetchone()[0] == 9  # all in the feed's week
    _assert_equal_to_refill(con, "intake batch")

    # 2) one batch: close open cases, move others on (a status change), add new ones
    cols = ("case_no, source, category_code, lon, lat, reported_at, registered_at, "
            "dispatched_at, closed_at, deadline_at, status")
    # every lifecycle time of the chosen cases before the cap: the batch rewrites them
    # (handled_at and verified_at are not in the file), and a case holding the store's
    # newest time would lower it, which rightly refills in full (open_items.update)
    open_ = con.execute(f"SELECT {cols} FROM incidents WHERE NOT is_void AND closed_at IS NULL "
                        "AND greatest(reported_at, registered_at, "
                        "coalesce(dispatched_at, registered_at), "
                        "coalesce(handled_at, registered_at), "
                        "coalesce(verified_at, registered_at)) < $cap "
                        "AND deadline_at IS NOT NULL ORDER BY reported_at DESC, id LIMIT 6",
                        {"cap": newest - timedelta(hours=6)}).df()
    assert len(open_) == 6
    open_.loc[:2, "closed_at"] = open_.loc[:2, "registered_at"] + pd.Timedelta(hours=3)
    open_.loc[:2, "status"] = "已结案"
    open_.loc[3:, "dispatched_at"] = open_.loc[3:, "registered_at"] + pd.Timedelta(hours=1)
    open_.loc[3:, "status"] = "处置中"
    fresh = _frame(incident_rows(con, 4, prefix="MIX", day=day, seed=12))
    pd.concat([open_, fresh]).to_parquet(tmp_path / "mixed.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "mixed.parquet"])
    assert (s.updated, s.inserted, s.summaries) == (6, 4, "incremental"), s.report()
    assert con.execute("SELECT count(*) FROM open_items WHERE alerting AND list_contains($c, "
                       "ref)", {"c": open_["case_no"][:3].tolist()}).fetchone()[0] == 0
    _assert_equal_to_refill(con, "closing and status batch")

    # 3) late cases: reported 40 days ago, still open (alert candidates, not in the feed)
    late_day = (newest - timedelta(days=40)).date().isoformat()
    late = _frame(incident_rows(con, 5, prefix="LATE", day=late_day, seed=13))
    late["closed_at"] = pd.NaT
    late.to_parquet(tmp_path / "late.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "late.parquet"])
    assert (s.inserted, s.summaries) == (5, "additive"), s.report()
    got = con.execute("SELECT count(*), count(*) FILTER (listed) FROM open_items "
                      "WHERE starts_with(ref, 'LATE')").fetchone()
    assert got == (5, 0)
    _assert_equal_to_refill(con, "late cases")

    # 4) hazards (key-wise, no cases), with sensor alerts changed beside them
    hz = con.execute("SELECT hazard_no, type, risk_level, grid_code, source, found_at, "
                     "deadline_at, rectified_at FROM hazards WHERE rectified_at IS NULL "
                     "AND risk_level <> '重大' ORDER BY id LIMIT 2").df()
    assert len(hz) == 2
    hz.loc[0, "risk_level"] = "重大"  # first raised to 重大, then rectified
    hz.iloc[[0]].to_parquet(tmp_path / "hz0.parquet")
    s = load_files(con, "hazards", Mapping.identity("hazards"), [tmp_path / "hz0.parquet"])
    assert s.updated == 1, s.report()
    assert con.execute("SELECT count(*) FROM open_items WHERE kind = 'major_hazard' "
                       "AND ref = $h", {"h": hz.loc[0, "hazard_no"]}).fetchone()[0] == 1
    _assert_equal_to_refill(con, "a hazard raised to 重大")
    hz.loc[0, "rectified_at"] = pd.Timestamp(newest) - pd.Timedelta(hours=1)
    hz.loc[1, "risk_level"] = "重大"
    hz.to_parquet(tmp_path / "hz.parquet")
    con.execute("UPDATE sensor_alerts SET handled_at = alerted_at + INTERVAL 1 HOUR "
                "WHERE id = (SELECT min(id) FROM sensor_alerts WHERE handled_at IS NULL)")
    con.execute("INSERT INTO sensor_alerts SELECT * REPLACE (id + 1000000 AS id, '严重' AS "
                "level, alerted_at + INTERVAL 1 MINUTE AS alerted_at, NULL AS handled_at) "
                "FROM sensor_alerts ORDER BY alerted_at DESC LIMIT 1")
    s = load_files(con, "hazards", Mapping.identity("hazards"), [tmp_path / "hz.parquet"])
    assert s.updated == 2, s.report()
    assert con.execute("SELECT list(ref ORDER BY ref) FROM open_items WHERE kind = "
                       "'major_hazard' AND list_contains($h, ref)",
                       {"h": hz["hazard_no"].tolist()}).fetchone()[0] == [hz.loc[1, "hazard_no"]]
    assert con.execute("SELECT count(*) FROM open_items WHERE kind = 'iot' AND id > 1000000 "
                       "AND critical").fetchone()[0] == 1
    _assert_equal_to_refill(con, "hazards and sensor alerts")
    assert not refills, "every batch so far updates in place"

    # 5) a file of several batches (deferred: the pending refresh knows grids, not cases):
    #    close, void and move open cases (one to another grid), add new ones
    moved = con.execute(f"SELECT {cols}, grid_code FROM incidents WHERE NOT is_void "
                        "AND closed_at IS NULL AND deadline_at IS NOT NULL "
                        "AND registered_at IS NOT NULL ORDER BY id LIMIT 4").df()
    other = con.execute("SELECT lon, lat FROM incidents WHERE grid_code <> $g LIMIT 1",
                        {"g": moved.loc[0, "grid_code"]}).fetchone()
    moved.loc[0, ["lon", "lat"]] = other
    moved.loc[1, "closed_at"] = moved.loc[1, "registered_at"] + pd.Timedelta(hours=2)
    moved.loc[1, "status"] = "已结案"
    moved.loc[2, "status"] = "已作废"
    moved["is_void"] = moved["status"].eq("已作废")
    old_grid = moved.pop("grid_code")[0]
    more = _frame(incident_rows(con, 8, prefix="MANY", day=day, seed=14))
    pd.concat([moved, more]).to_parquet(tmp_path / "many.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "many.parquet"],
                   batch_rows=5)
    assert (s.batches, s.updated, s.inserted, s.summaries) == (3, 4, 8, "incremental"), \
        s.report()
    assert con.execute("SELECT grid_code FROM open_items WHERE ref = $c",
                       {"c": moved.loc[0, "case_no"]}).fetchone()[0] != old_grid
    _assert_equal_to_refill(con, "deferred file")
    assert not refills, "the deferred file updates in place"

    # 6) the store's newest cases corrected to an older report time: the newest event
    #    moves back, and the update refills (the feed's week would have to grow back)
    ahead = pd.Timestamp(newest) + pd.Timedelta(days=1)
    back = _frame(incident_rows(con, 2, prefix="LAST", day=day, seed=15))
    back["reported_at"] = back["registered_at"] = ahead
    back["closed_at"] = pd.NaT
    back.to_parquet(tmp_path / "last.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "last.parquet"],
                   now=ahead + pd.Timedelta(days=1))
    assert (s.inserted, s.summaries) == (2, "additive"), s.report()
    assert open_items.valid_from(con) == ahead
    _assert_equal_to_refill(con, "the newest cases")
    assert not refills
    back["reported_at"] = back["registered_at"] = pd.Timestamp(newest) - pd.Timedelta(days=20)
    back.to_parquet(tmp_path / "back.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "back.parquet"])
    assert (s.updated, s.summaries) == (2, "incremental"), s.report()
    assert open_items.valid_from(con) < ahead
    _assert_equal_to_refill(con, "the newest cases moved back")
    assert len(refills) == 1


def test_update_follows_sensor_alerts_and_refuses_an_unknown_mode(writer, refills):
    """No import writes sensor alerts: an update that compares the hazards and sensor
    alerts (``others``) follows any change of them; an unknown mode is refused."""
    store, _ = writer
    con = store.cursor()
    con.execute("BEGIN TRANSACTION")
    # an alert the table lists now is handled (which one the demo has unhandled depends on
    # the moment it was built: take it from the table, not from the raw rows)
    gone = con.execute("SELECT min(id) FROM open_items WHERE kind = 'iot'").fetchone()[0]
    con.execute("UPDATE sensor_alerts SET handled_at = alerted_at + INTERVAL 5 MINUTE "
                "WHERE id = $i", {"i": gone})
    con.execute("INSERT INTO sensor_alerts SELECT * REPLACE (id + 2000000 AS id, CASE WHEN "
                "row_number() OVER () = 1 THEN '严重' ELSE level END AS level, NULL AS "
                "handled_at) FROM sensor_alerts WHERE sensor_id IN (SELECT id FROM sensors) "
                "ORDER BY alerted_at DESC, id LIMIT 3")  # listed: the table joins sensors
    got = open_items.update(con, None, others=True)
    con.execute("COMMIT")
    assert (got["open_items_deleted"], got["open_items_inserted"]) == \
        (int(gone is not None), 3), got
    assert got["open_items_reranked"] >= 3, got
    _assert_equal_to_refill(con, "sensor alerts")
    assert not refills
    with pytest.raises(ValueError):
        open_items.update(con, "all")


# --- real-world-style data: the lakeport_311 export -----------------------------------------


def _gridcmd(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"gridcmd {' '.join(args)}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def lakeport_store(tmp_path_factory):
    """A store of the lakeport wards and precincts with the city's request types (the
    README's first two commands), no requests yet."""
    work = tmp_path_factory.mktemp("lakeport-items")
    store = work / "lakeport.duckdb"
    _gridcmd("import", "boundaries", "--out", str(store), "--timezone", "America/Chicago",
             "--area-name", "Lakeport", "--quiet",
             "wards.geojson:level=ward,code=ward,name=ward_name",
             "precincts.geojson:level=precinct,code=PREC_ID,name=PREC_ID,crs=EPSG:3435",
             cwd=LAKEPORT)
    _gridcmd("import", "taxonomy", "--store", str(store), "--field", "category",
             "sr_types.csv", "--columns", "code=SR_SHORT_CODE,minor_name=SR_TYPE,"
             "major_name=SR_GROUP,deadline_days=SLA_DAYS,dept_kind=OWNER_DEPARTMENT",
             cwd=LAKEPORT)
    return store


def _split_lakeport(lakeport_store, tmp_path):
    """A copy of the Lakeport store, and its export split at twelve days before its newest
    request into ``first.csv`` and ``last.csv`` in ``tmp_path``: (the copy's path, the
    export, its created times, the cut)."""
    path = tmp_path / "lakeport.duckdb"
    shutil.copyfile(lakeport_store, path)
    raw = pd.read_csv(LAKEPORT / "service_requests_2024H1.csv.gz", dtype=str,
                      keep_default_na=False)
    created = pd.to_datetime(raw["CREATED_DATE"], format="%m/%d/%Y %I:%M:%S %p")
    cut = created.max() - pd.Timedelta(days=12)
    raw[created < cut].to_csv(tmp_path / "first.csv", index=False)
    raw[created >= cut].to_csv(tmp_path / "last.csv", index=False)
    return path, raw, created, cut


def test_lakeport_export_in_parts_equals_a_refill(lakeport_store, tmp_path, refills):
    path, raw, created, cut = _split_lakeport(lakeport_store, tmp_path)
    # the requests still open, closed now (a later export of the same requests)
    closing = raw[(created < cut) & raw["STATUS"].eq("Open")].head(40).copy()
    closing["STATUS"] = "Completed"
    closing["CLOSED_DATE"] = created.max().strftime("%m/%d/%Y %I:%M:%S %p")
    closing.to_csv(tmp_path / "closing.csv", index=False)
    mapping = Mapping.load(LAKEPORT / "mappings" / "requests.toml")
    store = Store(path, writable=True)
    try:
        with store.writer() as con:
            s = load_files(con, "incidents", mapping, [tmp_path / "first.csv"])
            assert s.summaries == "full", s.report()  # a bulk load: refilled
            _assert_equal_to_refill(con, "lakeport first months")
            refills.clear()
            s = load_files(con, "incidents", mapping, [tmp_path / "last.csv"])
            assert s.inserted > 0 and s.summaries == "additive", s.report()
            _assert_equal_to_refill(con, "lakeport last weeks")
            s = load_files(con, "incidents", mapping, [tmp_path / "closing.csv"])
            assert s.updated > 20 and s.summaries == "incremental", s.report()
            rows = _assert_equal_to_refill(con, "lakeport closing")
            assert rows > 100
            assert not refills
    finally:
        store.close()


def test_the_rank_order_has_one_home():
    # the lists' order is written once (overview/items_ranked.sql); the refill and the
    # incremental rerank include it, and no other open_items query writes a list's order
    # (overview/alerts.sql and feed.sql, the as-of path over the raw tables, order their
    # own lists)
    import queries
    from queries import names as Q

    block = queries.sql(Q.OVERVIEW_ITEMS_RANKED)
    orders = ("ORDER BY v.urgency, v.id", "ORDER BY v.reported_at DESC, v.id DESC",
              "ORDER BY v.start_at DESC, v.kind, v.id DESC")
    assert all(order in block for order in orders)
    for name in (Q.OVERVIEW_ITEMS_FILL, Q.OVERVIEW_ITEMS_RANK):
        assert block.strip() in queries.sql(name)
    root = Path(queries.__file__).parent / "overview"
    writers = [p.name for p in sorted(root.glob("items_*.sql"))
               if any(k in p.read_text(encoding="utf-8")
                      for k in ("ORDER BY v.urgency", "ORDER BY urgency", "reported_at DESC, v.id",
                                "reported_at DESC, id DESC", "start_at DESC, v.kind",
                                "start_at DESC, kind"))]
    assert writers == ["items_ranked.sql"], writers


def test_lakeport_new_requests_add_to_the_period_tables_and_ranks(lakeport_store, tmp_path):
    """A real city's 311 export (foreign column names, US times, gzip): its last twelve
    days loaded after the rest take the additive path, which adds the new requests' rows
    to the 时效/四级联动 period tables (analysis/period_add.sql) and their durations to the
    ranked durations (analysis/ranks_add.sql); both equal a full refill (rolled back),
    the period tables' hours up to the order of their additions."""
    from dashboard.kpi.summaries import (
        PERIOD_TABLES,
        RANK_TABLES,
        refresh_duration_ranks,
        refresh_period_tables,
    )
    from tests.unit.ingest_helpers import table_frame

    path, *_ = _split_lakeport(lakeport_store, tmp_path)
    mapping = Mapping.load(LAKEPORT / "mappings" / "requests.toml")
    store = Store(path, writable=True)
    try:
        with store.writer() as con:
            load_files(con, "incidents", mapping, [tmp_path / "first.csv"])
            s = load_files(con, "incidents", mapping, [tmp_path / "last.csv"])
            assert s.inserted > 0 and s.summaries == "additive", s.report()
            tables = PERIOD_TABLES + RANK_TABLES
            added = {t: table_frame(con, t) for t in tables}
            assert len(added["timeliness_city"]) > 0 and len(added["duration_ranks"]) > 0
            con.execute("BEGIN TRANSACTION")
            try:
                refresh_period_tables(con)
                refresh_duration_ranks(con)
                for table in tables:
                    pd.testing.assert_frame_equal(table_frame(con, table), added[table],
                                                  rtol=1e-9, obj=table)
            finally:
                con.execute("ROLLBACK")
    finally:
        store.close()
