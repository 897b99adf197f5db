"""Surge detection (异常预警) on a store imported from a city's own export
(tests/fixtures/realworld/lakeport_311, imported with the README's commands): the import
itself runs the detector (a stored surge model), and runs as of the last data day and of a
moment in the middle of a day finish with sane output: alerts only of the store's regions,
each with q ≤ the level, at least the minimum count, and its observed count equal to the
raw incidents of its region and 大类 in its window counted with pandas."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import pytest

from dashboard.foresight import surge as S
from dashboard.foresight.explain import stored_reasons
from tests.e2e import expected as ex
from tests.e2e.test_realworld import run_readme
from tests.surge_helpers import raw_window_counts


@pytest.fixture(scope="module")
def lakeport_surge(tmp_path_factory):
    store = tmp_path_factory.mktemp("lakeport-surge") / "lakeport.duckdb"
    run_readme("lakeport_311", ex.LAKEPORT, store)
    con = duckdb.connect(str(store))
    yield con
    con.close()


def _check(con, out):
    rows = con.execute("SELECT * FROM foresight_scores WHERE kind = 'surge'").df()
    assert len(rows) == out["alerts"]
    assert out["cells"] > 0
    if rows.empty:
        return rows
    regions = {c for (c,) in con.execute("SELECT short_code FROM regions").fetchall()}
    assert set(rows["grid_code"]) <= regions
    assert (rows["q_value"] <= S.Q_LEVEL).all() and (rows["observed"] >= S.MIN_COUNT).all()
    assert (rows["observed"] >= S.MIN_RATIO * rows["expected"] - 1e-9).all()
    assert rows["observed"].tolist() == raw_window_counts(con, rows)
    # the stored parts (migration 020) word back to the stored Chinese evidence, and the
    # English states the stored counts
    for row in rows.itertuples():
        assert stored_reasons("surge", row.reason_parts, None, "zh") == row.reasons
        en = stored_reasons("surge", row.reason_parts, None, "en")
        m = re.search(r": (\d+) cases in the last (\d) days, baseline ([\d.]+) a day", en)
        assert m, en
        assert (int(m[1]), int(m[2])) == (row.observed, row.window_days)
        assert abs(float(m[3]) - row.baseline_per_day) <= 0.05 + 1e-9
    return rows


def test_the_import_ran_the_detector(lakeport_surge):
    got = lakeport_surge.execute("SELECT count(*) FROM foresight_models "
                                 "WHERE kind = 'surge' AND active").fetchall()
    assert got == [(1,)]


@pytest.mark.parametrize("moment", [datetime(2024, 7, 1), datetime(2024, 5, 15, 14, 30)])
def test_runs_on_the_imported_store_are_sane(lakeport_surge, moment):
    out = S.update(lakeport_surge, asof=moment, refit=True)
    assert out["model_version"].startswith("surge-")
    _check(lakeport_surge, out)
