"""Issue 15 finding 3: ``gridcmd import records --store X --url <a server holding another
store>`` printed ``loaded 100`` and wrote into the server's store. Two real servers on two
real stores: the CLI must refuse (exit 2, a clear message) and leave both stores as they
were, and still upload to the server that does hold X."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import duckdb
import pandas as pd
import pytest

from dashboard.store import id_file, read_id_file
from tests.integration.test_intake import _free_port
from tests.unit.ingest_helpers import copy_store, incident_rows

TOKEN = "identity-token"


def _serve(store, port):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "GRIDCMD_INTAKE_TOKEN": TOKEN, "GRIDCMD_DEMO_ON_START": "false",
           "GRIDCMD_PORT": str(port), "GRIDCMD_STORE": str(store),
           "GRIDCMD_COOKIE_SECURE": "false"}
    server = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            # a first intake request opens the store: from then on the server holds it
            urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{port}/api/intake/store",
                headers={"Authorization": f"Bearer {TOKEN}"}), timeout=60).read()
            return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    server.terminate()
    pytest.fail("server did not start: " + server.stdout.read1().decode())


def _count(store, prefix):
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute("SELECT count(*) FROM incidents WHERE starts_with(case_no, $p)",
                           {"p": prefix}).fetchone()[0]


def _import(store, url, csv_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCMD_")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return subprocess.run([sys.executable, "-m", "dashboard.cli", "import", "records",
                           "--kind", "incidents", "--store", str(store), "--url", url,
                           "--token", TOKEN, str(csv_path)],
                          env=env, capture_output=True, text=True, timeout=300)


def test_import_refuses_a_server_that_holds_another_store(ingest_store, tmp_path):
    store_a = copy_store(ingest_store, tmp_path, "a.duckdb")
    store_b = copy_store(ingest_store, tmp_path, "b.duckdb")
    with duckdb.connect(str(store_b)) as con:  # a copy keeps its id: give B its own
        con.execute("UPDATE meta SET value = $v WHERE key = 'store_id'",
                    {"v": uuid.uuid4().hex})
        rows = pd.DataFrame(incident_rows(con, 20, prefix="WRONG"))
    rows.to_csv(tmp_path / "rows.csv", index=False)
    port_a, port_b = _free_port(), _free_port()
    server_a, server_b = _serve(store_a, port_a), _serve(store_b, port_b)
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    try:
        # each server wrote its store's sidecar id when it opened it
        assert read_id_file(store_a) and read_id_file(store_b)
        assert read_id_file(store_a) != read_id_file(store_b)
        out = _import(store_a, url_b, tmp_path / "rows.csv")
        assert out.returncode == 2, out.stdout + out.stderr
        assert "holds another store" in out.stderr and "not uploading" in out.stderr
        assert "loaded" not in out.stdout and "Traceback" not in out.stderr
        # without the sidecar and with another path the CLI cannot tell, so it refuses too
        saved = id_file(store_a).read_text()
        id_file(store_a).unlink()
        out = _import(store_a, url_b, tmp_path / "rows.csv")
        assert out.returncode == 2 and "cannot tell which store" in out.stderr, out.stderr
        id_file(store_a).write_text(saved)
        # the server checks too: a client naming another store gets 409 and nothing loads
        req = urllib.request.Request(
            f"{url_b}/api/intake/incidents", data=b"[]", method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                     "X-Gridcmd-Store-Id": read_id_file(store_a)})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=60)
        assert refused.value.code == 409
        # the right server takes it
        out = _import(store_a, url_a, tmp_path / "rows.csv")
        assert out.returncode == 0, out.stderr
        assert "sent to" in out.stdout and "loaded 20" in out.stdout
    finally:
        for server in (server_a, server_b):
            server.terminate()
            server.wait(timeout=30)
    assert _count(store_a, "WRONG") == 20
    assert _count(store_b, "WRONG") == 0


def test_stores_carry_their_id_beside_them(ingest_store, tmp_path):
    from dashboard.store import ensure_current

    store = copy_store(ingest_store, tmp_path)
    assert read_id_file(store) is None
    ensure_current(store)
    with duckdb.connect(str(store), read_only=True) as con:
        meta = con.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
    assert read_id_file(store) == meta
