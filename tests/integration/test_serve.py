"""``gridcmd serve`` as a real process: it prints its URL and answers on it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_url_and_serves_page_and_geometry(demo_store):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--store", str(demo_store)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert url in proc.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    page = resp.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.3)
        assert "网格指挥舱" in page
        with urllib.request.urlopen(url + "geo/320600000000.geojson", timeout=10) as resp:
            assert resp.status == 200
            assert b'"FeatureCollection"' in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_rejects_a_missing_store_when_demo_is_off(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "serve", "--store", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "GRIDCMD_DEMO_ON_START": "false"})
    assert out.returncode == 2
    assert "store not found" in out.stderr
