"""The audit log's id lists (``auth.store.encode_ids``): every list reads back exactly as
written (order and repeats kept), small lists stay JSON text, large ones are compressed, and
rows written before as JSON text still read. The audit page and ``gridcmd user audit`` show
the count and the first ids."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from dashboard.auth import pages
from dashboard.auth.store import AUDIT_TEXT_IDS, AuthStore, decode_ids, encode_ids, ids_text
from dashboard.kpi.scope import Scope

INT64 = np.iinfo(np.int64)


@pytest.fixture
def store(tmp_path):
    return AuthStore(tmp_path / "auth.sqlite")


@pytest.fixture
def user(store):
    return store.add_user("ana", "analyst", "320612", "Secret-pass-9", city="3206")


def _export_ids(demo, prefix: str) -> list[int]:
    """The ids a case export of ``prefix`` returns: every case of the region, oldest
    report first (``cases_data.export``)."""
    return [r[0] for r in demo.execute(
        "SELECT id FROM incidents WHERE starts_with(grid_code, ?) ORDER BY reported_at, id",
        [prefix]).fetchall()]


@pytest.mark.parametrize("ids", [
    [], [7], list(range(AUDIT_TEXT_IDS)), list(range(AUDIT_TEXT_IDS + 1)),
    [5] * 300,  # repeats
    list(range(1000, 0, -3)),  # newest first
    [0, INT64.max, INT64.min + 1, 12, -4] * 30,  # differences that need eight bytes
    [3, 3 + 127, 3 + 127 - 128] * 60,  # one-byte limits
    [3, 3 + 128, 3] * 60,  # just past them: two bytes
    [1, 70_000, 2] * 60,  # four bytes
])
def test_every_list_reads_back_as_written(ids):
    value = encode_ids(ids)
    assert decode_ids(value) == ids
    assert isinstance(value, str) is (len(ids) <= AUDIT_TEXT_IDS)


def test_random_lists_read_back_as_written():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(0, 3000))
        ids = rng.integers(0, 10 ** int(rng.integers(1, 18)), n).tolist()
        assert decode_ids(encode_ids(ids)) == ids
        assert decode_ids(encode_ids(np.asarray(ids))) == ids  # numpy in, the same out


def test_small_lists_stay_the_json_text_they_were():
    assert encode_ids([11, 12]) == "[11, 12]"
    assert encode_ids([]) == "[]"
    assert encode_ids(np.array([7], dtype=np.int32)) == "[7]"


def test_a_city_export_is_kept_in_a_small_fraction_of_its_json(demo):
    for prefix in ("3206", "320612"):  # the city: contiguous ids; a county: scattered
        ids = _export_ids(demo, prefix)
        assert len(ids) > 1000
        blob = encode_ids(ids)
        assert isinstance(blob, bytes) and decode_ids(blob) == ids
        assert len(blob) * 10 < len(json.dumps(ids)), (prefix, len(blob), len(ids))


def test_the_store_keeps_large_lists_compressed_and_reads_them_back(store, user, demo):
    ids = _export_ids(demo, "320612")
    store.audit(user, Scope("320612", "analyst"), "export", "cases csv region=320612", ids)
    store.audit(user, Scope("320612", "analyst"), "detail", "case 9", [9])
    with sqlite3.connect(store.path) as con:
        kinds = [r[0] for r in con.execute("SELECT typeof(ids) FROM audit ORDER BY id")]
    assert kinds == ["blob", "text"]
    rows = store.audit_rows()
    assert [r["ids"] for r in rows] == [[9], ids]
    with store.raw() as con:  # still append-only
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE audit SET ids = '[]'")


def test_rows_written_as_json_before_still_read(store, user):
    old = list(range(500, 0, -1))  # a large list in the old form: JSON text
    with store.raw() as con:
        con.execute("INSERT INTO audit (at, username, role, scope, action, what, ids) "
                    "VALUES ('2026-11-01T08:00:00', 'ana', 'analyst', '320612', 'export', "
                    "'cases csv', ?)", (json.dumps(old),))
    assert store.audit_rows()[0]["ids"] == old


def test_a_value_that_is_no_id_list_is_refused():
    with pytest.raises(ValueError, match="not an audit id list"):
        decode_ids(b"something else")


def test_the_page_and_the_command_line_show_the_count_and_the_first_ids(store, user):
    ids = list(range(100_000, 100_000 + 5000))
    store.audit(user, Scope("320612", "analyst"), "export", "cases csv", ids)
    assert ids_text(ids) == ("5,000 · " + ", ".join(map(str, ids)))[:79] + "…"
    assert ids_text([7]) == "7" and ids_text([]) == ""
    page = pages.audit_page(store.audit_rows(), "")
    assert "5,000 · 100000, 100001, " in page
    out = subprocess.run([sys.executable, "-m", "dashboard.cli", "user", "--auth-db",
                          str(store.path), "audit"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    line = out.stdout.splitlines()[0]
    assert line.endswith(ids_text(ids, 60)) and "5,000 · 100000, 100001" in line
