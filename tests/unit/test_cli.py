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
    # The demo accounts come with the demo store (docs/security.md), beside it.
    listing = _user(tmp_path / "demo-auth.sqlite", "list").stdout
    for name in ("city_leader", "county_analyst", "grid_worker", "screen", "admin"):
        assert name in listing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--city", "9999"], "no geography is vendored"),
        (["--incidents", "-5"], "whole number"),
        (["--incidents", "1e12"], "maximum"),
        (["--incidents", "lots"], "not a number"),
        (["--years", "50"], "years must be"),
        (["--memory-limit", "lots"], "not a memory size"),
        (["--memory-limit", "3"], "not a memory size"),
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


# --- gridcmd user ------------------------------------------------------------------------


def _user(db, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``gridcmd user`` in this process (a subprocess per call would cost seconds each);
    ``test_user_add_list_disable`` runs the real command line once."""
    import contextlib
    import io

    from dashboard.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["user", "--auth-db", str(db), *args])
    finally:
        sys.stdin = old_stdin
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def _user_process(db, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", "user", "--auth-db", str(db),
                           *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_user_add_list_disable(tmp_path):
    db = tmp_path / "auth.sqlite"
    out = _user_process(db, "add", "zhang", "--role", "analyst", "--region", "320612",
                        "--display-name", "通州区分析员", "--password-stdin",
                        stdin="Long-enough-pw1\n")
    assert out.returncode == 0, out.stderr
    assert "created zhang" in out.stdout
    out = _user_process(db, "list")
    assert out.returncode == 0
    assert "zhang" in out.stdout and "320612" in out.stdout and "active" in out.stdout
    assert _user(db, "disable", "zhang").returncode == 0
    assert "disabled" in _user(db, "list").stdout
    assert _user(db, "pii", "zhang", "on").returncode == 0
    assert " yes " in _user(db, "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss", "--region", "320612"], "unknown role"),
        (["--role", "analyst", "--region", "3207"], "outside the city"),
        (["--role", "analyst", "--region", "32061x"], "invalid region"),
        (["--role", "analyst", "--region", "%"], "invalid region"),
        (["--role", "screen", "--region", "3206", "--pii"], "never holds"),
        (["--role", "analyst", "--region", "320612"], "already exists"),
        (["--role", "analyst", "--region", "320612,320613"], "only a grid worker"),
        (["--role", "grid_worker", "--region", "320612001001001,320612001001001"], "repeat"),
    ],
)
def test_user_add_rejects_bad_input(tmp_path, args, message):
    db = tmp_path / "auth.sqlite"
    assert _user(db, "add", "first", "--role", "leader", "--region", "3206",
                 "--password-stdin", stdin="Long-enough-pw1\n").returncode == 0
    before = _user(db, "list").stdout
    name = "first" if message == "already exists" else "second"
    out = _user(db, "add", name, *args, "--password-stdin", stdin="Long-enough-pw1\n")
    assert out.returncode == 2
    assert out.stderr.startswith("gridcmd: error:") and message in out.stderr
    assert "Traceback" not in out.stderr
    assert _user(db, "list").stdout == before


def test_user_add_a_grid_worker_with_several_grids(tmp_path):
    db = tmp_path / "auth.sqlite"
    out = _user(db, "add", "gw", "--role", "grid_worker",
                "--region", "320612001001002, 320612001001003", "--password-stdin",
                stdin="Long-enough-pw1\n")
    assert out.returncode == 0, out.stderr
    assert "320612001001002,320612001001003" in out.stdout
    assert "320612001001002,320612001001003" in _user(db, "list").stdout


def test_user_commands_on_unknown_users_and_missing_db(tmp_path):
    db = tmp_path / "auth.sqlite"
    out = _user(db, "list")
    assert out.returncode == 2 and "no accounts database" in out.stderr
    _user(db, "add", "wall", "--role", "screen", "--region", "3206", stdin="")
    for args in (["disable", "ghost"], ["token", "ghost"], ["pii", "ghost", "on"]):
        out = _user(db, *args)
        assert out.returncode == 2 and "no such user" in out.stderr
    out = _user(db, "add", "short", "--role", "analyst", "--region", "3206",
                "--password-stdin", stdin="abc\n")
    assert out.returncode == 2 and "too short" in out.stderr
    out = _user(db, "token", "wall", "--base-url", "http://screen.local:8050/")
    assert out.returncode == 0
    assert out.stdout.startswith("http://screen.local:8050/kiosk/")
    assert "1 token(s) revoked" in _user(db, "token", "wall", "--revoke").stdout


def test_user_audit_lists_records(tmp_path):
    from dashboard.auth.store import AuthStore
    from dashboard.kpi.scope import Scope

    db = tmp_path / "auth.sqlite"
    store = AuthStore(db)
    user = store.add_user("li", "analyst", "320612", "Long-enough-pw1", city="3206")
    store.audit(user, Scope("320612", "analyst"), "detail", "person 42", [42])
    out = _user(db, "audit")
    assert out.returncode == 0
    assert "li" in out.stdout and "detail" in out.stdout
    assert out.stdout.rstrip().endswith("person 42 42")  # what, then the one id

