"""The stored foresight results worded per language (``dashboard/foresight/explain.py``,
migration 020).

The Chinese is checked byte for byte against the code that wrote the text before the
structured parts (copied below from main 03ba617: ``Model.reasons``, with the desk's
sentence as the place-in-queue model of wt10-risk wrote it,
``surge.evidence`` and the SQL title of ``risk_alerts.sql``, run by DuckDB itself) on the
same inputs; the English against numbers parsed back from it; a schema-19 store migrates
and its old rows read as their stored text.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.foresight import explain
from dashboard.foresight import run as R
from dashboard.foresight import surge as S
from dashboard.foresight.model import DESK_DAYS, STAGE_NAMES, WHEN_NAMES
from dashboard.kpi.scope import Scope
from dashboard.store import SCHEMA_VERSION
from queries import names as Q
from queries import run
from tests.unit.ingest_helpers import copy_store, migrate_from

# --- main 03ba617's wording, verbatim ---------------------------------------------------


def _old_h(hours: float) -> str:
    if hours < 48:
        return f"{hours:.0f} 小时"
    return f"{hours / 24:.1f} 天"


def _old_reasons(self, r, base_hours: float, s) -> str:
    parts = [f"距时限还剩 {_old_h(r.slack_h)}，已用时限 {min(r.frac, 9.99):.0%}",
             f"同类案件在「{STAGE_NAMES[r.stage]}」阶段中位还需 {_old_h(base_hours)}"]
    if r.stage == "dispatched" and r.queue > 0:
        parts.append(f"该条线排在本案之前（派遣更早）尚未处置的有 {int(r.ahead)} 件，"
                     f"按近 {DESK_DAYS} 天日均处置 {r.rate_day:.1f} 件计约需 "
                     f"{_old_h(r.backlog_h)}，本案已派遣 {_old_h(r.in_stage_h)}")
    usual = self.usual_queue.get(r.line)
    if usual is not None and abs(s.load) >= 0.1:
        parts.append(f"该部门所在条线当前积压 {int(r.queue)} 件（平时约 {usual:.0f} 件），"
                     f"此时同类案件用时约为平时的 {np.exp(s.load):.1f} 倍")
    elif r.dept:
        parts.append(f"该部门所在条线当前积压 {int(r.queue)} 件")
    if abs(s.dept) >= 0.15:
        parts.append(f"该部门同类案件一向{'偏慢' if s.dept > 0 else '偏快'}"
                     f"（约为同类的 {np.exp(s.dept):.1f} 倍）")
    if abs(s.when) >= 0.1:
        parts.append(f"当前为{WHEN_NAMES[r.when]}，用时约 ×{np.exp(s.when):.1f}")
    return "；".join(parts)


def _old_evidence(region: str, major: str, window: int, observed: int, per_day: float) -> str:
    when = f"近{window}日"
    ratio = observed / (per_day * window) if per_day > 0 else float("inf")
    times = f"（约 {ratio:.1f} 倍）" if np.isfinite(ratio) else ""
    return f"{region} {major} {when} {int(observed)} 件，基线 {per_day:.1f} 件/日{times}"


# -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(demo_store, tmp_path_factory):
    path = copy_store(demo_store, tmp_path_factory.mktemp("explain"))
    con = duckdb.connect(str(path))
    asof = con.execute("SELECT max(registered_at) FROM incidents").fetchone()[0]
    R.update(con, asof=asof)
    yield con, asof
    con.close()


def _features(con, asof):
    """The open cases' model inputs at ``asof``, as run.score computes them."""
    cases = run(con, Q.FORESIGHT_CASES, since=asof, until=asof, prefix="")
    t0 = R._seconds(asof)
    closed = R._ts(cases["closed_at"])
    cases = cases[~(closed <= t0) & (R._ts(cases["deadline_at"]) > t0)].reset_index(drop=True)
    spans = run(con, Q.FORESIGHT_QUEUE_SPANS, since=asof - timedelta(days=DESK_DAYS),
                until=asof)
    return R.features(cases, np.full(len(cases), t0), R.Queues.build(spans))


def test_the_chinese_reasons_are_today_s_text_byte_for_byte(store):
    con, asof = store
    model = R.load_active(con)
    codes, n = set(), 0
    for days in range(0, 120, 4):  # the cases open at moments over four months
        f = _features(con, asof - timedelta(days=days, hours=days % 24))
        sh, base = model.shifts(f), model._base_median(f)
        old = [_old_reasons(model, r, float(np.exp(b)), s)
               for r, b, s in zip(f.itertuples(), base, sh.itertuples(), strict=True)]
        got = model.predict(f)
        assert got["reasons"].tolist() == old
        # the stored parts word back to the same text, through their JSON
        assert [explain.stored_reasons("risk", p, None, "zh")
                for p in got["reason_parts"]] == old
        codes |= {p["code"] for parts in got["reason_parts"] for p in json.loads(parts)}
        n += len(f)
    assert n > 300
    assert {"slack", "base", "desk"} <= codes and codes & {"load", "queue"}
    # every branch (the demo's model seldom shifts by department or hour): inputs drawn at
    # random around the thresholds, through the same model
    rng = np.random.default_rng(11)
    lines = [*model.usual_queue, "no-such-line"]
    for _ in range(3000):
        stage = str(rng.choice(list(STAGE_NAMES)))
        r = SimpleNamespace(
            slack_h=float(rng.choice([rng.uniform(0, 47.6), rng.uniform(47.4, 48.6),
                                      rng.uniform(48, 900)])),
            frac=float(rng.uniform(0, 12)), stage=stage, queue=int(rng.integers(0, 60)),
            ahead=int(rng.integers(0, 60)), rate_day=float(rng.uniform(0, 40)),
            backlog_h=float(rng.uniform(0, 400)),
            in_stage_h=float(rng.uniform(0, 200)), line=str(rng.choice(lines)),
            dept=str(rng.choice(["", "D01"])), when=str(rng.choice(list(WHEN_NAMES))))
        s = SimpleNamespace(load=float(rng.uniform(-1, 1)), dept=float(rng.uniform(-0.5, 0.5)),
                            when=float(rng.uniform(-0.3, 0.3)))
        base_h = float(rng.uniform(0, 300))
        assert model.reasons(r, base_h, s) == _old_reasons(model, r, base_h, s)
        codes |= {p["code"] for p in model.reason_parts(r, base_h, s)}
    assert codes == set(explain.RISK_CODES)
    # and what the run stored is that text and those parts
    stored = con.execute("SELECT reasons, reason_parts FROM foresight_scores "
                         "WHERE kind = 'risk'").fetchall()
    assert stored and all(explain.stored_reasons("risk", p, None, "zh") == text
                          for text, p in stored)


def test_every_reason_code_in_both_languages():
    parts = [{"code": "slack", "slack_h": 30.4, "frac": 0.734},
             {"code": "base", "stage": "dispatched", "base_h": 75.0},
             {"code": "desk", "days": 2, "ahead": 5, "rate_day": 3.25, "backlog_h": 50.0,
              "in_stage_h": 6.6},
             {"code": "load", "queue": 42, "usual": 17.6, "factor": 1.84},
             {"code": "queue", "queue": 9},
             {"code": "dept", "slow": True, "factor": 1.37},
             {"code": "dept", "slow": False, "factor": 0.71},
             {"code": "when", "when": "weekend", "factor": 1.26}]
    zh = explain.risk_reasons(parts, "zh")
    assert zh == ("距时限还剩 30 小时，已用时限 73%；同类案件在「处置中」阶段中位还需 3.1 天；"
                  "该条线排在本案之前（派遣更早）尚未处置的有 5 件，按近 2 天日均处置 3.2 件计约需 "
                  "2.1 天，本案已派遣 7 小时；"
                  "该部门所在条线当前积压 42 件（平时约 18 件），"
                  "此时同类案件用时约为平时的 1.8 倍；"
                  "该部门所在条线当前积压 9 件；该部门同类案件一向偏慢（约为同类的 1.4 倍）；"
                  "该部门同类案件一向偏快（约为同类的 0.7 倍）；当前为周末，用时约 ×1.3")
    en = explain.risk_reasons(parts, "en")
    assert not re.search(r"[\u4e00-\u9fff]", en)
    assert en.startswith("30 h left to the deadline, 73% of the time limit used; ")
    assert "'in hand' stage need a median 3.1 days more" in en
    assert "open cases on the department's line: 42 (usually about 18)" in en
    assert "about ×1.3" in en and "open cases on the department's line: 9;" in en
    assert "not yet handled on the line, dispatched before this case: 5; at the 3.2 a " \
           "day the line handled over the last 2 days, about 2.1 days of work" in en
    with pytest.raises(ValueError):
        explain.risk_reasons([{"code": "nonsense"}], "en")


@pytest.mark.parametrize("window", [1, 2, 3])
def test_the_chinese_surge_evidence_is_today_s_text(window):
    for observed in (0, 3, 7, 14, 250):
        for per_day in (0.0, 0.04, 0.25, 1.0, 2.15, 2.25, 9.95, 130.0):
            old = _old_evidence("德民社区", "市容环境", window, observed, per_day)
            assert S.evidence("德民社区", "市容环境", window, observed, per_day) == old
            parts = json.dumps(S.evidence_parts("德民社区", "市容环境", window, observed,
                                                per_day, "City appearance"))
            assert explain.stored_reasons("surge", parts, None, "zh") == old
            en = explain.stored_reasons("surge", parts, None, "en")
            m = re.fullmatch(r"德民社区 City appearance: (\d+) cases in the last (\d) days, "
                             r"baseline ([\d.]+) a day(?: \(about ([\d.]+) times\))?", en)
            assert m, en
            assert int(m[1]) == observed and int(m[2]) == window
            assert float(m[3]) == pytest.approx(per_day, abs=0.05)
            assert (m[4] is None) == (per_day == 0)


def test_the_chinese_title_is_what_the_sql_built():
    con = duckdb.connect()
    rng = np.random.default_rng(7)
    probs = [0.0, 0.005, 0.015, 0.125, 0.285, 0.5, 0.575, 0.845, 0.995, 1.0,
             *rng.uniform(0, 1, 2000).tolist(),
             *(k / 200 for k in range(201))]
    sql = con.execute(
        "SELECT coalesce(NULL, '噪声扰民') || ' 超期概率 ' "
        "|| CAST(round(100 * p) AS INTEGER) || '%' "
        "FROM (SELECT unnest($ps) AS p, generate_subscripts($ps, 1) AS i) ORDER BY i",
        {"ps": probs}).fetchall()
    assert [explain.risk_title("噪声扰民", p, "zh") for p in probs] == [r[0] for r in sql]
    assert explain.risk_title("噪声扰民", 0.834, "en", "Noise") == \
        "Noise: 83% likely to miss the deadline"
    assert explain.risk_title("噪声扰民", 0.834, "en") == \
        "噪声扰民: 83% likely to miss the deadline"


def test_a_row_without_parts_reads_as_its_stored_text():
    for parts in (None, float("nan"), ""):
        assert explain.stored_reasons("risk", parts, "旧文本", "en") == "旧文本"
        assert explain.stored_reasons("surge", parts, "旧文本", "zh") == "旧文本"
    assert explain.item_title({"kind": "surge", "parts": None, "title": "旧文本"}, "en") == "旧文本"
    assert explain.item_title({"kind": "overdue", "parts": None, "title": "噪声"}, "en") == "噪声"


def test_a_schema_19_store_migrates_and_its_old_rows_still_read(demo_store, tmp_path):
    from layouts.overview import risk_pane
    from layouts.thematic import risk_panel

    con = duckdb.connect(str(copy_store(demo_store, tmp_path)))
    # undo 020: the column did not exist at version 19
    con.execute("ALTER TABLE foresight_scores DROP COLUMN reason_parts")
    migrate_from(con, 20)
    cols = [r[0] for r in con.execute("DESCRIBE foresight_scores").fetchall()]
    assert cols[-1] == "reason_parts" and SCHEMA_VERSION >= 20
    old = con.execute("SELECT kind, count(*), count(reason_parts) FROM foresight_scores "
                      "GROUP BY kind ORDER BY kind").fetchall()
    assert old and all(n > 0 and with_parts == 0 for _, n, with_parts in old)
    # the old rows read as their stored (Chinese) text, in either language
    page = R.risk_panel(con, Scope("3206", "leader"), 0.0, 5)
    assert page["ever_scored"] and len(page["rows"]) == 5
    for text in page["rows"]["reasons"]:
        for lang in ("zh", "en"):
            assert text in str(risk_pane(page, lang)) and text in str(risk_panel(page, lang))
    # the next run stores parts for every row
    asof = con.execute("SELECT max(asof_at) FROM foresight_scores").fetchone()[0]
    R.update(con, asof=asof)
    S.update(con, asof=asof)
    n, with_parts = con.execute("SELECT count(*), count(reason_parts) FROM foresight_scores"
                                ).fetchone()
    assert n > 0 and with_parts == n
    again = R.risk_panel(con, Scope("3206", "leader"), 0.0, 5)
    en = str(risk_pane(again, "en"))
    assert "left to the deadline" in en
    assert not any(text in en for text in again["rows"]["reasons"])
    con.close()


def test_the_demo_store_has_parts_for_every_row(demo):
    n, with_parts = demo.execute("SELECT count(*), count(reason_parts) FROM foresight_scores"
                                 ).fetchone()
    assert n > 0 and with_parts == n
    frame = demo.execute("SELECT kind, reasons, reason_parts FROM foresight_scores").df()
    assert all(explain.stored_reasons(k, p, None, "zh") == text for k, text, p in
               frame.itertuples(index=False))
    assert pd.notna(frame["reason_parts"]).all()
