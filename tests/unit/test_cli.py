"""``gridcmd demo`` on good and bad input, run as a real process."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest


def gridcmd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args],
                          capture_output=True, text=True, timeout=300)


def test_demo_builds_a_store_and_prints_a_summary(tmp_path):
    path = tmp_path / "demo.duckdb"
    out = gridcmd("demo", "--store", str(path), "--incidents", "3k", "--seed", "5", "--quiet")
    assert out.returncode == 0, out.stderr
    assert "incidents: 3,000" in out.stdout
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 3000
        assert con.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()[0] == "5"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--city", "9999"], "no geography is vendored"),
        (["--incidents", "-5"], "whole number"),
        (["--incidents", "1e12"], "maximum"),
        (["--incidents", "lots"], "not a number"),
        (["--years", "50"], "years must be"),
    ],
)
def test_demo_rejects_bad_input(tmp_path, args, message):
    path = tmp_path / "demo.duckdb"
    out = gridcmd("demo", "--store", str(path), "--quiet", *args)
    assert out.returncode == 2
    assert message in out.stderr.lower()
    assert not path.exists()


def test_demo_rejects_unwritable_path(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    out = gridcmd("demo", "--store", str(blocker / "demo.duckdb"), "--incidents", "10", "--quiet")
    assert out.returncode == 2
    assert "gridcmd: error" in out.stderr and "Traceback" not in out.stderr
    assert blocker.read_text() == "not a directory"
