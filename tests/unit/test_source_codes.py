"""A city's own region codes wherever a region is named: the resolver and the CLI.

The store is ``tests/levels_helpers.py``'s three-level city, imported by ``import
boundaries`` from files whose codes are not digits (districts ``D01``, precincts
``D01-P003``, grids ``G00042``): internally they are ``0001…`` codes, and ``code_map``
holds the source codes. ``gridcmd kpi``, ``report`` and ``user add`` take either, with the
same result.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from datetime import timedelta

import duckdb
import pytest

from dashboard import levels
from dashboard.cli import main


@pytest.fixture(scope="module")
def city(three_levels):
    return three_levels


@pytest.fixture(scope="module")
def con(city):
    c = duckdb.connect(str(city["path"]), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def internal(con):
    """source code → internal short code (grids: 15 digits)."""
    rows = con.execute("SELECT m.source_code, coalesce(r.short_code, m.code) FROM code_map m "
                       "LEFT JOIN regions r ON r.code = m.code").fetchall()
    return dict(rows)


def _run(*args, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


# --- the resolver ---------------------------------------------------------------------------


def test_every_form_of_a_code_resolves_to_the_internal_one(con, internal):
    district, precinct, grid = internal["D01"], internal["D01-P003"], internal["G00042"]
    assert len(district) == 6 and len(precinct) == 9 and len(grid) == 15
    for typed in ("D01", "d01", " D01 ", district, district.ljust(12, "0")):
        found = levels.resolve(con, typed, with_source=True)
        assert (found.code, found.level, found.source) == (district, "county", "D01"), typed
    found = levels.resolve(con, "D01-P003")
    assert (found.code, found.level) == (precinct, "town")
    assert levels.resolve(con, "g00042").code == grid
    root = levels.resolve(con, "0001")
    assert root.level == "city" and root.source is None
    assert "D01" in levels.resolve(con, "D01").label()


@pytest.mark.parametrize("typed, words", [
    ("D99", ["unknown region 'D99'", "source code"]),
    ("D01-P0003", ["unknown region", "did you mean", "D01-P003"]),
    ("320612", ["unknown region '320612'", "internal code", "source code"]),
])
def test_an_unknown_code_names_what_was_tried(con, typed, words):
    with pytest.raises(levels.UnknownRegion) as err:
        levels.resolve(con, typed)
    for word in words:
        assert word in str(err.value)


def test_a_store_without_source_codes_says_so(ingest_store):
    with duckdb.connect(str(ingest_store), read_only=True) as c:
        assert levels.resolve(c, "320612000000").code == "320612"
        with pytest.raises(levels.UnknownRegion, match="keeps no source codes"):
            levels.resolve(c, "D01")
        # a well-formed internal code outside the store passes on to the scope check
        assert not levels.resolve(c, "3207", must_exist=False).found


@pytest.mark.parametrize("bad", ["", "   ", None, 7, ["D01"], "x" * 65, "D0\x001"])
def test_malformed_input_is_a_bad_code(con, bad):
    with pytest.raises(ValueError):
        levels.resolve(con, bad)


# --- gridcmd kpi ----------------------------------------------------------------------------


def _months(city):
    end = city["now"].date()
    last = end.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def test_kpi_takes_source_codes_with_the_same_numbers(city, internal):
    d0, d1 = _months(city)
    base = ["kpi", "--store", city["path"], "--from", d0, "--to", d1]
    for source in ("D01", "D01-P003"):
        code, by_source, err = _run(*base, "--region", source, "--format", "json")
        assert code == 0, err
        code, by_internal, _ = _run(*base, "--region", internal[source], "--format", "json")
        assert code == 0
        assert json.loads(by_source) == json.loads(by_internal)
        assert any(r["key"] == "reported" and r["value"] > 0 for r in json.loads(by_source))
    # the table names the region with both codes
    code, table, _ = _run(*base, "--region", "d01-p003")
    assert code == 0
    head = table.splitlines()[0]
    assert "D01-P003" in head and internal["D01-P003"] in head and f"{d0} 至 {d1}" in head


@pytest.mark.parametrize("region, words", [
    ("D99", ["unknown region 'D99'", "tried"]),
    ("G00042", ["is a grid", "takes a region"]),
    ("320612", ["unknown region"]),
])
def test_kpi_refuses_unknown_codes_clearly(city, region, words):
    d0, d1 = _months(city)
    code, out, err = _run("kpi", "--store", city["path"], "--region", region, "--from", d0,
                          "--to", d1)
    assert code == 2 and out == ""
    assert err.startswith("gridcmd: error:") and "Traceback" not in err
    for word in words:
        assert word in err


# --- gridcmd report -------------------------------------------------------------------------


def test_report_takes_a_source_code_and_names_it(city, internal, tmp_path, monkeypatch):
    import duckdb
    from openpyxl import load_workbook

    from dashboard.clock import store_now

    first, _ = _months(city)
    month = f"{first:%Y-%m}"
    monkeypatch.chdir(tmp_path)
    # one as-of moment for both runs: a report states it to the second
    with duckdb.connect(str(city["path"]), read_only=True) as con:
        asof = f"{store_now(con):%Y-%m-%dT%H:%M:%S}"
    code, out, err = _run("report", "--store", city["path"], "--month", month,
                          "--region", "D01", "--format", "xlsx", "--as-of", asof)
    assert code == 0, err
    by_source = tmp_path / f"通报_D01_{month}.xlsx"
    assert by_source.is_file() and out.strip().endswith(by_source.name)
    by_internal = tmp_path / "internal.xlsx"
    code, _, err = _run("report", "--store", city["path"], "--month", month,
                        "--region", internal["D01"], "--out", by_internal, "--as-of", asof)
    assert code == 0, err
    a, b = load_workbook(by_source), load_workbook(by_internal)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert [[c.value for c in row] for row in a[name].iter_rows()] == \
               [[c.value for c in row] for row in b[name].iter_rows()], name
    assert f"D01（内部代码 {internal['D01']}）" in a["概览"]["A3"].value
    code, _, err = _run("report", "--store", city["path"], "--month", month,
                        "--region", "D99", "--format", "xlsx")
    assert code == 2 and "unknown region 'D99'" in err
    assert not list(tmp_path.glob("通报_D99*"))


# --- gridcmd user add -----------------------------------------------------------------------


def test_user_add_takes_source_codes(city, internal, tmp_path, monkeypatch):
    from dashboard.auth.store import AuthStore

    monkeypatch.setenv("GRIDCMD_CITY", "0001")
    db = tmp_path / "auth.sqlite"
    base = ["user", "--store", city["path"], "--auth-db", db, "add"]
    code, out, err = _run(*base, "d1", "--role", "analyst", "--region", "D01",
                          "--password-stdin", stdin="Long-enough-pw7\n")
    assert code == 0, err
    assert f"D01 = {internal['D01']}" in out
    code, _, err = _run(*base, "p3", "--role", "analyst", "--region", internal["D01-P003"],
                        "--password-stdin", stdin="Long-enough-pw7\n")
    assert code == 0, err
    code, _, err = _run(*base, "gw", "--role", "grid_worker", "--region", "G00042, G00043",
                        "--password-stdin", stdin="Long-enough-pw7\n")
    assert code == 0, err
    store = AuthStore(db)
    assert store.user("d1").region == internal["D01"]
    assert store.user("p3").region == internal["D01-P003"]
    assert store.user("gw").areas == (internal["G00042"], internal["G00043"])
    before = [u.username for u in store.users()]
    for role, region, word in (("analyst", "D99", "unknown region 'D99'"),
                               ("grid_worker", "D01", "grid worker")):
        code, _, err = _run(*base, "xx", "--role", role, "--region", region,
                            "--password-stdin", stdin="Long-enough-pw7\n")
        assert code == 2 and word in err, err
    assert [u.username for u in store.users()] == before


def test_user_add_without_the_store_cannot_read_a_source_code(tmp_path):
    db = tmp_path / "auth.sqlite"
    code, _, err = _run("user", "--store", tmp_path / "none.duckdb", "--auth-db", db, "add",
                        "x", "--role", "analyst", "--region", "D01", "--password-stdin",
                        stdin="Long-enough-pw7\n")
    assert code == 2 and "invalid region 'D01'" in err and "none.duckdb" in err

