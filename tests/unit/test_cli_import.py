"""``gridcmd import``: summary printed, clear errors with exit 2, nothing stored on failure."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd

from dashboard.cli import main
from tests.unit.ingest_helpers import connect, copy_store, incident_rows, table_checksum


def _store(ingest_store, tmp_path):
    return copy_store(ingest_store, tmp_path)


def test_import_prints_the_summary(ingest_store, tmp_path, capsys):
    store = _store(ingest_store, tmp_path)
    con = connect(store)
    rows = pd.DataFrame(incident_rows(con, 12, prefix="CLI"))
    con.close()
    rows.loc[4, "reported_at"] = "soon"
    rows.to_csv(tmp_path / "a.csv", index=False)
    code = main(["import", "records", "--kind", "incidents", "--store", str(store),
                 "--quiet", str(tmp_path / "a.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "rows in = loaded + quarantined + skipped: 12 = 11 + 1 + 0" in out
    assert "unparseable_time" in out and "rows/s" in out


def test_import_visits_and_surveys_and_repair(ingest_store, tmp_path, capsys):
    store = _store(ingest_store, tmp_path)
    con = connect(store)
    visits = con.execute("SELECT p.id_number, v.due_date + 1 AS due_date, '电话随访' AS kind "
                         "FROM visits AS v JOIN key_person_pii AS p ON p.person_id = v.person_id "
                         "ORDER BY v.id LIMIT 5").df()
    surveys = con.execute("SELECT case_no, closed_at + INTERVAL 1 HOUR AS surveyed_at, "
                          "'电话' AS channel, '' AS rating FROM incidents WHERE closed_at "
                          "IS NOT NULL AND id NOT IN (SELECT incident_id FROM surveys) "
                          "ORDER BY closed_at LIMIT 5").df()
    con.close()
    visits.to_csv(tmp_path / "v.csv", index=False)
    surveys.to_csv(tmp_path / "s.csv", index=False)
    for kind, name in (("visits", "v.csv"), ("surveys", "s.csv")):
        code = main(["import", "records", "--kind", kind, "--store", str(store), "--quiet",
                     "--batch-rows", "2", str(tmp_path / name)])
        out = capsys.readouterr().out
        assert code == 0 and f"import {kind}" in out, out
        assert "rows in = loaded + quarantined + skipped: 5 = 5 + 0 + 0" in out, out
        assert "(once, after the last batch)" in out
    assert main(["import", "repair", "--store", str(store)]) == 0
    assert "nothing pending" in capsys.readouterr().out


def test_bad_input_exits_2_and_stores_nothing(ingest_store, tmp_path, capsys):
    store = _store(ingest_store, tmp_path)
    con = connect(store)
    rows = pd.DataFrame(incident_rows(con, 3, prefix="ENC"))
    before = table_checksum(con, "incidents")
    con.close()
    (tmp_path / "gbk.csv").write_bytes(rows.to_csv(index=False).encode("gbk"))
    (tmp_path / "bad.toml").write_text('kind = "incidents"\n[source]\ncrs = "EPSG:999999"\n',
                                       encoding="utf-8")
    cases = [
        (["--kind", "incidents", str(tmp_path / "gbk.csv")], "not UTF-8"),
        (["--kind", "incidents", str(tmp_path / "missing.csv")], "no such file"),
        (["--kind", "nope", str(tmp_path / "gbk.csv")], "unknown kind"),
        (["--kind", "incidents", "--mapping", str(tmp_path / "bad.toml"),
          str(tmp_path / "gbk.csv")], "unknown coordinate reference system"),
    ]
    for args, message in cases:
        code = main(["import", "records", "--store", str(store), "--quiet", *args])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("gridcmd: error:") and message in err, err
    con = connect(store)
    assert table_checksum(con, "incidents") == before
    con.close()


def test_locked_store_without_token_is_a_clear_error(ingest_store, tmp_path, capsys,
                                                     monkeypatch):
    store = _store(ingest_store, tmp_path)
    (tmp_path / "a.csv").write_text("case_no\n", encoding="utf-8")
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ok', flush=True); time.sleep(60)", str(store)],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"ok"
        monkeypatch.delenv("GRIDCMD_INTAKE_TOKEN", raising=False)
        code = main(["import", "records", "--kind", "incidents", "--store", str(store),
                     str(tmp_path / "a.csv")])
        err = capsys.readouterr().err
        assert code == 2 and "locked by another process" in err, err
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
