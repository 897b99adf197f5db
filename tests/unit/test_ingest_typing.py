"""The typing query's shortcuts lose nothing.

``validate.ISO_LIKE_RE`` guards DuckDB's TIMESTAMP cast (tried before a mapping's
``time_format``): a value the guard rejects must be one the cast cannot read. Checked
against the cast itself over awkward texts and over every time text of the realworld
fixtures, so a DuckDB whose cast reads more fails here.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard.ingest.validate import ISO_LIKE_RE

REALWORLD = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"

AWKWARD = [
    "2024-01-05", "2024/1/5", "2024 1 5", "2024\\1\\5", "2024-01-05T10:00:00",
    "2024-01-05 10:00:00.123456", "2024-01-05 10:00:00+08:00", "2024-1-5x", "2024-1-5 ",
    " 2024-01-05", "\t2024-01-05", "\x0b2024-01-05", "-2024-01-05", "+2024-01-05",
    "20240105", "2024.01.05", "2024-01-050", "2024-013-05", "2024-01", "2024-",
    "0001-01-01 (BC)", "2024-01-05 (BC)", "99999999-01-01", "infinity", "-infinity",
    "Infinity", " infinity ", "epoch", "EPOCH", "epoch ", "inf", "-inf", "INF ", "+inf",
    "01/15/2024 02:35:12 PM",
    "01/05/2024 02:35:12 AM", "1/5/24", "5.1.2024 10:00", "2024年1月5日", "", " ", "abc",
    "12:00", "2024-02-30", "2024-1-5T1:2:3", "2024/01-05",
]


def _realworld_texts() -> list[str]:
    texts = []
    for path in sorted(REALWORLD.rglob("*.csv*")):
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding="utf-8") as fh:
                frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError):
            continue
        for col in frame.columns:
            if any(w in col.upper() for w in ("DATE", "TIME", "_AT")) or "时间" in col:
                texts += frame[col].drop_duplicates().tolist()[:5000]
    return texts


@pytest.mark.parametrize("texts", [AWKWARD, "realworld"])
def test_iso_guard_rejects_only_what_the_cast_cannot_read(texts):
    if texts == "realworld":
        texts = _realworld_texts()
        assert len(texts) > 1000  # the fixtures' times are there
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in texts])
    lost = con.execute(
        "SELECT v FROM t WHERE TRY_CAST(v AS TIMESTAMP) IS NOT NULL "
        "AND NOT regexp_matches(v, $re)", {"re": ISO_LIKE_RE}).fetchall()
    assert lost == []
    # and the guard does skip the casts of a 12-hour US stamp (what it is for)
    assert not con.execute("SELECT regexp_matches('01/15/2024 02:35:12 PM', $re)",
                           {"re": ISO_LIKE_RE}).fetchone()[0]
