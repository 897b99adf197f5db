"""A corrected mapping and replacing an import.

The idempotence key is file + mapping + rules: the same file with a corrected mapping loads
again (upsert by natural key). ``--replace`` removes what earlier imports of the same file
wrote (rows still carrying their batches, quarantine and log rows) and loads it anew, in one
transaction with the summary refresh; a SIGKILL during it leaves the old import intact.

The export is modelled on a US 311 service-request file: SR numbers, request types, US
12-hour timestamps. The first mapping reads them day-first (``%d/%m/%Y``), as happens when
a mapping written for one city is reused for another: days up to 12 load as wrong dates,
later days are quarantined; a request type is also mapped to the wrong category.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import duckdb
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.ingest.load import load_files, store_area
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope
from dashboard.kpi.summaries import refresh_summaries
from tests.unit.ingest_helpers import (
    connect,
    copy_store,
    data_checksums,
    incident_rows,
    sample_grids,
    summary_checksums,
    table_checksum,
    table_frame,
)

DAYS = [3, 5, 11, 11, 14, 15, 18, 20, 7, 9, 11, 25]
TYPES = ["Graffiti Removal", "Graffiti Removal", "Pothole in Street", "Graffiti Removal",
         "Pothole in Street", "Graffiti Removal", "Pothole in Street", "Graffiti Removal",
         "Other", "Pothole in Street", "Graffiti Removal", "Graffiti Removal"]
COLUMNS = {"case_no": "SR_NUMBER", "category_code": "SR_TYPE", "reported_at": "CREATED_DATE",
           "closed_at": "CLOSED_DATE", "lon": "LONGITUDE", "lat": "LATITUDE"}
CATEGORY = {"Graffiti Removal": "E0201", "Pothole in Street": "E0401"}
KPI_KEYS = ["reported", "closed", "close_rate", "satisfaction_rate"]


def _mapping(fmt, categories):
    return Mapping.from_dict({"kind": "incidents", "columns": COLUMNS,
                              "source": {"time_format": fmt},
                              "values": {"category_code": categories},
                              "defaults": {"source": "12345热线"}}, name="sr.toml")


WRONG = _mapping("%d/%m/%Y %I:%M:%S %p", {**CATEGORY, "Pothole in Street": "E0403",
                                          "Other": "E0104"})
FIXED = _mapping("%m/%d/%Y %I:%M:%S %p", CATEGORY)  # 'Other' has no category: quarantined


def _export(con, path):
    g = sample_grids(con, len(DAYS), seed=11)
    pd.DataFrame({
        "SR_NUMBER": [f"SR26-{i:08d}" for i in range(len(DAYS))],
        "SR_TYPE": TYPES,
        "CREATED_DATE": [f"11/{d:02d}/2026 0{1 + i % 9}:15:00 PM" for i, d in enumerate(DAYS)],
        "CLOSED_DATE": [f"11/{d:02d}/2026 11:40:00 PM" if i % 2 == 0 else ""
                        for i, d in enumerate(DAYS)],
        "LATITUDE": g["lat"], "LONGITUDE": g["lon"],
    }).to_csv(path, index=False)
    return path


def _surveys(con, path):
    """回访 of two cases: SR26-00000000 (its dates change) and SR26-00000010 (unchanged)."""
    pd.DataFrame({"case_no": ["SR26-00000000", "SR26-00000010"],
                  "surveyed_at": ["2026-11-26 10:00:00", "2026-11-26 11:00:00"],
                  "channel": "电话", "rating": ["满意", "不满意"]}).to_csv(path, index=False)
    return path


def _cases(con):
    return con.execute("SELECT * EXCLUDE (id, batch_id) FROM incidents "
                       "WHERE case_no LIKE 'SR26-%' ORDER BY case_no").df()


def _ids(con):
    return dict(con.execute("SELECT case_no, id FROM incidents WHERE case_no LIKE 'SR26-%'"
                            ).fetchall())


def _quarantine(con, name="sr_export.csv"):
    return con.execute("SELECT line, rule FROM quarantine WHERE source_file = $f "
                       "ORDER BY line", {"f": name}).fetchall()


def _kpis(con):
    out = []
    for d0, d1 in (("2026-11-01", "2026-11-30"), ("2026-03-01", "2026-03-31")):
        out.append(kpis(con, Scope("3206", "leader"), d0, d1, KPI_KEYS)[
            ["key", "numerator", "denominator"]].fillna(-1).values.tolist())
    return out


@pytest.fixture(scope="module")
def files(ingest_store, tmp_path_factory):
    d = tmp_path_factory.mktemp("sr")
    with duckdb.connect(str(ingest_store), read_only=True) as con:
        return _export(con, d / "sr_export.csv"), _surveys(con, d / "surveys.csv")


def _start(ingest_store, tmp_path, files, name):
    """A store with the export loaded through the wrong mapping, and 回访 of two cases."""
    con = connect(copy_store(ingest_store, tmp_path, name))
    area = store_area(con)
    s = load_files(con, "incidents", WRONG, [files[0]], area=area)
    # days up to 12 load (as wrong dates), days after 12 do not parse
    assert (s.inserted, dict(s.by_rule)) == (7, {"unparseable_time": 5}), s.report()
    assert load_files(con, "surveys", Mapping.identity("surveys"), [files[1]]).inserted == 2
    return con, area


@pytest.fixture(scope="module")
def clean(ingest_store, tmp_path_factory, files):
    """The store as it should be: only the fixed import (and the same 回访)."""
    con = connect(copy_store(ingest_store, tmp_path_factory.mktemp("clean")))
    load_files(con, "incidents", FIXED, [files[0]], area=store_area(con))
    load_files(con, "surveys", Mapping.identity("surveys"), [files[1]])
    yield con
    con.close()


def test_a_corrected_mapping_loads_again(ingest_store, tmp_path, files, clean):
    con, area = _start(ingest_store, tmp_path, files, "again.duckdb")
    again = load_files(con, "incidents", WRONG, [files[0]], area=area)
    assert again.skipped == 12 and again.loaded == 0  # same file, same mapping: nothing
    # a corrected mapping is no longer "skipped": it upserts by SR number
    s = load_files(con, "incidents", FIXED, [files[0]], area=area)
    assert (s.skipped, s.inserted, s.updated, s.unchanged, s.quarantined) == (0, 5, 4, 2, 1), \
        s.report()
    # without --replace what only the first import had stays: the 'Other' case it loaded
    # and its quarantine rows
    assert len(_cases(con)) == 12
    assert _quarantine(con) == [(6, "unparseable_time"), (7, "unparseable_time"),
                                (8, "unparseable_time"), (9, "unparseable_time"),
                                (10, "unknown_category"), (13, "unparseable_time")]
    batches = con.execute("SELECT DISTINCT mapping_sha256 FROM import_batches "
                          "WHERE source_file = 'sr_export.csv'").fetchall()
    assert {b for (b,) in batches} == {WRONG.sha256, FIXED.sha256}
    con.close()


def test_replace_leaves_the_store_of_the_fixed_import_alone(ingest_store, tmp_path, files,
                                                            clean):
    con, area = _start(ingest_store, tmp_path, files, "replace.duckdb")
    ids = _ids(con)
    s = load_files(con, "incidents", FIXED, [files[0]], area=area, replace=True)
    assert (s.inserted, s.updated, s.unchanged, s.quarantined) == (5, 4, 2, 1), s.report()
    assert (s.replaced_batches, s.removed, s.removed_quarantine, s.kept_overwritten) == \
        (1, 1, 5, 0)
    assert "替换 replaced 1 earlier batch(es)" in s.report()
    # rows, quarantine and log as if only the fixed import had ever run
    pd.testing.assert_frame_equal(_cases(con), _cases(clean))
    assert _quarantine(con) == _quarantine(clean) == [(10, "unknown_category")]
    assert con.execute("SELECT mapping_sha256, inserted + updated + unchanged, quarantined "
                       "FROM import_batches WHERE source_file = 'sr_export.csv'"
                       ).fetchall() == [(FIXED.sha256, 11, 1)]
    # cases kept their ids (updated and unchanged alike), so their 回访 stay attached
    new = _ids(con)
    assert {k: new[k] for k in ids if k in new} == {k: v for k, v in ids.items()
                                                    if k != "SR26-00000008"}
    assert con.execute("SELECT count(*) FROM surveys AS s JOIN incidents AS i "
                       "ON i.id = s.incident_id WHERE i.case_no LIKE 'SR26-%'"
                       ).fetchone()[0] == 2
    # every row of the file now carries the new import's batch
    assert con.execute("SELECT count(DISTINCT batch_id), min(b.mapping_sha256) "
                       "FROM incidents AS i JOIN import_batches AS b ON b.id = i.batch_id "
                       "WHERE case_no LIKE 'SR26-%'").fetchone() == (1, FIXED.sha256)
    # KPIs equal the clean store's, and the counts equal the raw rows
    assert _kpis(con) == _kpis(clean)
    raw = con.execute("SELECT reported_at, closed_at, is_void FROM incidents").df()
    nov = (raw.reported_at >= "2026-11-01") & (raw.reported_at < "2026-12-01")
    closed = (raw.closed_at >= "2026-11-01") & (raw.closed_at < "2026-12-01") & ~raw.is_void
    got = {k: n for k, n, _ in _kpis(con)[0]}
    assert (got["reported"], got["closed"]) == (nov.sum(), closed.sum())
    # summaries equal a full refresh (satisfaction_city too: the replaced cases' 回访)
    incremental = summary_checksums(con)
    satisfaction = table_frame(con, "satisfaction_city")
    refresh_summaries(con)
    assert summary_checksums(con) == incremental
    pd.testing.assert_frame_equal(table_frame(con, "satisfaction_city"), satisfaction,
                                  rtol=1e-9)
    # a second --replace of the same file and mapping changes nothing but the batch ids
    before = summary_checksums(con)
    s2 = load_files(con, "incidents", FIXED, [files[0]], area=area, replace=True)
    assert (s2.unchanged, s2.removed, s2.replaced_batches) == (11, 0, 1), s2.report()
    pd.testing.assert_frame_equal(_cases(con), _cases(clean))
    assert summary_checksums(con) == before
    assert _quarantine(con) == [(10, "unknown_category")]
    con.close()


def test_rows_a_later_import_changed_are_kept(ingest_store, tmp_path, files):
    con, area = _start(ingest_store, tmp_path, files, "later.duckdb")
    # another file (the department's own correction) updates the case only the wrong
    # mapping had loaded
    later = tmp_path / "correction.csv"
    pd.DataFrame({"case_no": ["SR26-00000008"], "source": ["12345热线"],
                  "category_code": ["E0104"], "reported_at": ["2026-07-11 06:15:00"],
                  "lon": con.execute("SELECT lon FROM incidents WHERE case_no = "
                                     "'SR26-00000008'").fetchone(),
                  "lat": con.execute("SELECT lat FROM incidents WHERE case_no = "
                                     "'SR26-00000008'").fetchone()}).to_csv(later, index=False)
    assert load_files(con, "incidents", Mapping.identity("incidents"), [later],
                      area=area).updated == 1
    s = load_files(con, "incidents", FIXED, [files[0]], area=area, replace=True)
    assert (s.removed, s.kept_overwritten, s.removed_quarantine) == (0, 1, 5), s.report()
    assert str(con.execute("SELECT reported_at FROM incidents WHERE case_no = "
                           "'SR26-00000008'").fetchone()[0]) == "2026-07-11 06:15:00"
    assert "kept 1 rows a later import has changed since" in s.report()
    incremental = summary_checksums(con)
    refresh_summaries(con)
    assert summary_checksums(con) == incremental
    con.close()


def test_replace_through_the_command_line(ingest_store, tmp_path, files, capsys):
    store = copy_store(ingest_store, tmp_path, "cli.duckdb")
    (tmp_path / "wrong.toml").write_text("""kind = "incidents"
[source]
time_format = "%d/%m/%Y %I:%M:%S %p"
[columns]
case_no = "SR_NUMBER"
category_code = "SR_TYPE"
reported_at = "CREATED_DATE"
closed_at = "CLOSED_DATE"
lon = "LONGITUDE"
lat = "LATITUDE"
[values.category_code]
"Graffiti Removal" = "E0201"
"Pothole in Street" = "E0403"
"Other" = "E0104"
[defaults]
source = "12345热线"
""", encoding="utf-8")
    fixed = tmp_path / "fixed.toml"
    fixed.write_text((tmp_path / "wrong.toml").read_text(encoding="utf-8")
                     .replace("%d/%m/%Y", "%m/%d/%Y").replace('"E0403"', '"E0401"')
                     .replace('"Other" = "E0104"\n', ""), encoding="utf-8")
    args = ["import", "records", "--kind", "incidents", "--store", str(store), "--quiet"]
    assert main([*args, "--mapping", str(tmp_path / "wrong.toml"), str(files[0])]) == 0
    capsys.readouterr()
    assert main([*args, "--mapping", str(fixed), "--replace", str(files[0])]) == 0
    out = capsys.readouterr().out
    assert "替换 replaced 1 earlier batch(es) of the same file: removed 1 rows" in out
    assert "时区 time zone: 16 naive times taken as Asia/Shanghai" in out  # 11 + 5 closed
    with connect(store) as con:
        assert con.execute("SELECT count(*) FROM incidents WHERE case_no LIKE 'SR26-%'"
                           ).fetchone()[0] == 11


# --- crash safety: SIGKILL during a replacing load leaves the old import --------------

ROWS, BATCH, KILLS = 300, 10, 3


def _crash_files(ingest_store, d):
    with duckdb.connect(str(ingest_store), read_only=True) as con:
        rows = pd.DataFrame(incident_rows(con, ROWS, prefix="RPL", seed=4))
        rows["grid_code"] = con.execute("SELECT code FROM grids ORDER BY code LIMIT $n",
                                        {"n": ROWS}).df()["code"]
    rows = rows.drop(columns=["lon", "lat"])
    path = d / "replace_me.csv"
    rows.to_csv(path, index=False)
    wrong = d / "wrong.toml"
    wrong.write_text('kind = "incidents"\n[columns]\n' + "".join(
        f'{c} = "{c}"\n' for c in rows.columns) + '[values.category_code]\n"E0102" = "E0501"\n',
        encoding="utf-8")
    return path, wrong


def _cmd(store, path):
    return [sys.executable, "-m", "dashboard.cli", "import", "records", "--kind", "incidents",
            "--store", str(store), "--batch-rows", str(BATCH), "--replace", str(path)]


def test_sigkill_during_replace_keeps_the_old_import(ingest_store, tmp_path):
    rng = random.Random(20261202)
    path, wrong = _crash_files(ingest_store, tmp_path)
    crashed = copy_store(ingest_store, tmp_path, "crashed.duckdb")
    assert main(["import", "records", "--kind", "incidents", "--store", str(crashed),
                 "--quiet", "--mapping", str(wrong), str(path)]) == 0
    with connect(crashed) as con:
        old = {**data_checksums(con), "import_batches": table_checksum(con, "import_batches")}
    clean = copy_store(crashed, tmp_path, "clean.duckdb")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    mid = 0
    for _ in range(KILLS):
        proc = subprocess.Popen(_cmd(crashed, path), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        started = threading.Event()

        def watch(p=proc, ev=started):
            buf = b""
            while chunk := p.stderr.read1(4096):
                buf = (buf + chunk)[-4096:]
                if "行".encode() in buf:
                    ev.set()
            ev.set()

        threading.Thread(target=watch, daemon=True).start()
        started.wait(60)
        time.sleep(rng.uniform(0.1, 1.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            mid += 1
        proc.wait()
        with connect(crashed) as con:  # opens read-write (WAL replayed): the old import
            assert {**data_checksums(con),
                    "import_batches": table_checksum(con, "import_batches")} == old
            if proc.returncode == 0:
                break
    assert mid >= 2, f"only {mid} kills landed during the load"
    subprocess.run(_cmd(crashed, path), env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run(_cmd(clean, path), env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with duckdb.connect(str(crashed), read_only=True) as a, \
            duckdb.connect(str(clean), read_only=True) as b:
        assert data_checksums(a) == data_checksums(b)
        assert a.execute("SELECT count(*) FROM incidents WHERE case_no LIKE 'RPL%' "
                         "AND category_code = 'E0102'").fetchone()[0] == ROWS
