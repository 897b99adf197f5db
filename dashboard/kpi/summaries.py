"""Summary tables: created on first refresh and refilled from the raw tables.

The summaries are derived data, so a refresh simply empties and refills them in one
transaction; a reader of the store never sees half of a refresh. The order of
``SUMMARY_TABLES`` matters: ``incident_monthly`` is rolled up from ``incident_daily``;
``village_daily`` from all the grid-level daily tables, then ``town_daily``,
``county_daily`` and ``city_daily`` from the per-village values ``village_daily``'s refill
leaves in a TEMP table (dropped after the last of them). The three region levels share one
query text per step (``summary_level_daily``, ``ingest_apply_level_daily``) whose table
and code length are slots filled from :data:`LEVEL_SLOTS`.
"""

from __future__ import annotations

import re
from datetime import date

from dashboard import open_items
from dashboard.kpi.scope import LEVEL_LENGTHS
from dashboard.periods import next_month
from queries import names as Q
from queries import run, script, sql
from queries import transaction as store_transaction

# the overview's purpose-built case tables (refresh_case_tables): refilled in this order
CASE_TABLES: tuple[str, ...] = ("case_window", "open_cases", "recent_cases")

SUMMARY_TABLES: tuple[str, ...] = (
    "incident_daily",
    "incident_monthly",
    "escalation_daily",
    "survey_daily",
    "hazard_daily",
    "key_person_daily",
    "visit_daily",
    "alert_daily",
    "area_survey_daily",
    "village_daily",
    "town_daily",
    "county_daily",
    "city_daily",
    *CASE_TABLES,
)


# the region rollups: table stem and short-code length, the only words the shared level
# queries take in their slots. The incremental refreshes apply village deltas to all of
# them (to village_daily itself in an additive refresh); the full refresh refills those
# above village_daily with one query (summary/level_daily.sql).
APPLY_SLOTS: dict[str, dict[str, str]] = {
    f"{level}_daily": {"level": level, "digits": str(LEVEL_LENGTHS[level])}
    for level in ("village", "town", "county", "city")
}
LEVEL_SLOTS: dict[str, dict[str, str]] = {
    t: slots for t, slots in APPLY_SLOTS.items() if t != "village_daily"}


# incident_daily's full refill groups the event rows of about this many cases at a time
# (summary/incident_daily_part.sql): a 10M store is one part, the one statement's work
# (its 23M groups fit in the build's 3 GB), a 100M store ten; one GROUP BY over 100M
# cases spilled more than 70 GB to disk. Smaller parts cost more in all, as each scans
# the whole incidents table six times (at 10M, three parts of 4M: 79.1 s, one: 77.6 s,
# the one statement 75.7 s; scripts/bench_incident_daily.py)
PART_INCIDENTS = 10_000_000


def grid_parts(con, cases: int = PART_INCIDENTS) -> list[tuple[str | None, str | None]]:
    """Ranges ``lo <= grid_code < hi`` (None: unbounded) of about ``cases`` incidents each
    (a grid is never split), in ascending order, covering every grid code."""
    counts = run(con, Q.SUMMARY_INCIDENT_GRID_COUNTS, form="rows")
    cuts, running = [], 0
    for grid, n in counts:
        if running >= cases:
            cuts.append(grid)
            running = 0
        running += n
    bounds = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def refill_incident_daily(con, cases: int = PART_INCIDENTS) -> int:
    """Refill incident_daily in parts of about ``cases`` incidents, by ranges of grid code
    in ascending order, each part's rows in (grid_code, day) order: the same rows, in the
    same order, as ``summary/incident_daily.sql`` in one statement, with a part's groups in
    memory instead of every case's. Its row count after."""
    con.execute("DELETE FROM incident_daily")
    for lo, hi in grid_parts(con, cases):
        script(con, Q.SUMMARY_INCIDENT_DAILY_PART, lo=lo, hi=hi)
    return int(con.execute("SELECT count(*) FROM incident_daily").fetchone()[0])


def _refill(con, table: str) -> int:
    """Refill one summary table from its sources; its row count after."""
    if table == "incident_daily":
        return refill_incident_daily(con)
    if table in LEVEL_SLOTS:
        count = con.execute(sql(Q.SUMMARY_LEVEL_DAILY, **LEVEL_SLOTS[table])).fetchone()[0]
        if table == "city_daily":  # the last level: village_daily's refill's TEMP table
            con.execute("DROP TABLE IF EXISTS village_nets")
        return int(count)
    return int(con.execute(sql(Q.SUMMARY[table])).fetchone()[0])


def declared_tables() -> list[str]:
    """Table names declared in ``queries/summary/schema.sql`` (for tests and checks)."""
    return re.findall(r"CREATE TABLE (\w+)", sql(Q.SUMMARY_SCHEMA))


def refresh_summaries(con, transaction: bool = True,
                      kinds: tuple[str, ...] | None = None) -> dict[str, int]:
    """Create the summary tables if missing and refill every one from the raw tables.

    With ``kinds`` (a bulk load of those record kinds, the other raw tables unchanged and
    their summaries current), the grid-level tables that only other kinds feed
    (:func:`kept_tables`) are kept as they are; everything else is refilled.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A read-write connection to a store with the raw tables of ``queries/store/schema.sql``.
    transaction : bool
        Run in a transaction of its own; ``False`` when the caller's transaction (a load
        batch) is open and the refresh must commit or roll back with it.

    Returns
    -------
    dict
        Rows per summary table after the refresh.

    Raises
    ------
    RuntimeError
        When only some summary tables exist: the store was built by an incompatible version
        and should be rebuilt rather than patched.
    """
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    present = [t for t in SUMMARY_TABLES if t in existing]
    with store_transaction(con, transaction):
        if not present:
            con.execute(sql(Q.SUMMARY_SCHEMA))
        elif len(present) != len(SUMMARY_TABLES):
            missing = sorted(set(SUMMARY_TABLES) - set(present))
            raise RuntimeError(f"store has only some summary tables; missing {missing}")
        keep = kept_tables(kinds) if present else frozenset()
        counts = {}
        for table in SUMMARY_TABLES:
            if table in keep:
                continue
            counts[table] = _refill(con, table)
        refresh_analysis_tables(con)  # the analysis pages' tables (migration 009)
        refresh_overview_tables(con, "all")  # the overview's tables (migration 010)
        refresh_period_tables(con)  # 时效 and 四级联动 period tables (migration 011)
    return counts


# grid-level summary tables fed by each importable kind, refreshed in this order
INCREMENTAL: dict[str, tuple[str, ...]] = {
    "incidents": ("incident_daily", "incident_monthly", "escalation_daily", "survey_daily"),
    "hazards": ("hazard_daily",),
    "key_persons": ("key_person_daily",),
    "visits": ("visit_daily",),
    "surveys": ("survey_daily",),
    "area_surveys": ("area_survey_daily",),
}
# kinds whose summary tables feed nothing else (not the region rollups): their loads
# refresh their own table by key, never the others, and are never a bulk full refresh
STANDALONE: tuple[str, ...] = ("area_surveys",)
# touched (grid, day) keys beyond this share of incident_daily's rows: refresh in full
FULL_REFRESH_SHARE = 0.5
GRID_LEVEL = ("incident_daily", "survey_daily", "escalation_daily", "hazard_daily",
              "key_person_daily", "visit_daily", "alert_daily")
REGION_LEVELS = ("village_daily", "town_daily", "county_daily", "city_daily")


def kept_tables(kinds: tuple[str, ...] | None) -> frozenset[str]:
    """The grid-level summary tables a full refresh after a bulk load of ``kinds`` need not
    refill: those fed only by other kinds (a bulk case load leaves ``hazard_daily``,
    ``visit_daily`` … as they are). None, or a kind without grid-level tables: none kept."""
    if not kinds or any(k not in INCREMENTAL for k in kinds):
        return frozenset()
    fed = {t for k in kinds for t in INCREMENTAL[k]}
    return frozenset((*GRID_LEVEL, "area_survey_daily")) - fed


def refresh_incremental(con, batch: bool = False) -> str:
    """Bring the summaries up to date after a load, touching only what the load changed.

    Reads the TEMP table ``ingest_touched`` (grid_code, day, kind, updated) that the loader
    fills with the (grid, day) keys of the rows it inserted and of the old and new versions
    of the rows it updated (dashboard/ingest/load.py). Grid-level tables are recomputed for
    those keys only (``queries/ingest_refresh_<table>.sql``); ``village_daily`` for the
    villages of those grids (its stocks are running sums, so all days of a touched village);
    ``town_daily``, ``county_daily`` and ``city_daily`` by the villages' deltas (a full
    re-roll of the city from 1M+ village rows would cost seconds per batch). The result
    equals :func:`refresh_summaries` (tested). Runs inside the
    caller's transaction. ``batch``: TEMP ``ingest_diff`` holds the batch's own rows (one
    batch refreshed at once, not the pending keys of several), so the overview's open items
    follow its cases rather than every case of its grids (``dashboard/open_items.py``).

    Returns
    -------
    str
        ``"none"`` (nothing touched), ``"incremental"`` or ``"full"`` (the store had no
        summaries, the batch touched more keys than half the rows of incident_daily, or
        it moved the first or last month of the history, which every village's
        month-start rows span).
    """
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    if not set(SUMMARY_TABLES) <= existing:
        refresh_summaries(con, transaction=False)
        return "full"
    kinds = [r[0] for r in con.execute(
        "SELECT DISTINCT kind FROM ingest_touched ORDER BY kind").fetchall()]
    if not kinds:
        return "none"
    for kind in [k for k in kinds if k in STANDALONE]:
        for table in INCREMENTAL[kind]:
            script(con, Q.INGEST_REFRESH[table])
        kinds.remove(kind)
    if not kinds:
        return "incremental"
    touched = con.execute("SELECT count(*) FROM ingest_touched WHERE NOT list_contains("
                          "$standalone, kind)", {"standalone": list(STANDALONE)}
                          ).fetchall()[0][0]
    if _full_refresh_due(con, touched):
        # a bulk load touches most keys: one full pass is cheaper than key-by-key work
        refresh_summaries(con, transaction=False)
        return "full"
    refresh_analysis_incremental(con)
    refresh_period_incremental(con)
    for kind in kinds:
        for table in INCREMENTAL.get(kind, ()):
            script(con, Q.INGEST_REFRESH[table])
    kept = "incidents" in kinds and case_window_kept(con)
    if "incidents" in kinds:
        refresh_case_tables(con, "touched", kept=kept)
    if "incidents" in kinds or "hazards" in kinds:
        refresh_overview_tables(con, "touched" if "incidents" in kinds else None,
                                items="batch" if batch else "touched",
                                others="hazards" in kinds, window_kept=kept)
    con.execute("CREATE OR REPLACE TEMP TABLE ingest_villages AS SELECT DISTINCT "
                "substr(grid_code, 1, 12) AS region FROM ingest_touched "
                "WHERE NOT list_contains($standalone, kind)", {"standalone": list(STANDALONE)})
    span = _span_moved(con)
    if span is None:
        return "incremental"
    if span:
        for table in REGION_LEVELS:
            _refill(con, table)
        return "full"
    script(con, Q.INGEST_REFRESH_VILLAGE_DAILY)
    script(con, Q.INGEST_VILLAGE_DELTA)
    for table in REGION_LEVELS[1:]:
        script(con, Q.INGEST_APPLY_LEVEL_DAILY, slots=APPLY_SLOTS[table])
    return "incremental"


def _span_moved(con) -> bool | None:
    """After the grid-level tables changed: has the history's first or last month moved
    (every village's month-start rows span it, so the region levels need a full refill)?
    None when the grid-level tables are empty."""
    span = " UNION ALL ".join(f"SELECT min(day) AS a, max(day) AS b FROM {t}"
                              for t in GRID_LEVEL)
    first, last = con.execute(f"SELECT min(a), max(b) FROM ({span})").fetchall()[0]
    old_first, old_end = con.execute("SELECT min(day), max(day) FROM village_daily").fetchall()[0]
    if first is None:
        return None
    return old_first is None or (old_first.year, old_first.month) != (first.year, first.month) \
        or next_month(last) != old_end


# kinds whose insert-only batches are added to the summaries (refresh_additive)
ADDITIVE: tuple[str, ...] = ("incidents",)


def refresh_additive(con) -> str:
    """Add the cases a batch inserted (and it updated none) to the summaries.

    Every incident measure is a sum of per-case event rows, so instead of recomputing the
    touched grids from all their cases (:func:`refresh_incremental`: a load spread over the
    whole city touches every grid and rereads every case), the new cases' own
    ``incident_daily`` rows are computed (``queries/ingest/additive_incidents.sql``) and
    added where a key is stored, appended where not, to ``incident_daily`` and
    ``incident_monthly`` (``ingest/add_incident_sums.sql``); their per-village deltas go to
    ``village_daily`` and every level above through the same query the key-wise refresh
    uses for the levels (``ingest/additive_village.sql``, ``ingest/apply_level_daily.sql``).
    ``escalation_daily`` and ``survey_daily`` do not change: a new case has no hand-offs or
    surveys stored. Reads TEMP ``ingest_clean`` and ``ingest_diff`` of the batch; runs
    inside its transaction. The result equals :func:`refresh_summaries` (tested).

    Returns
    -------
    str
        ``"none"``, ``"additive"`` or ``"full"`` (the store had no summaries, or the new
        cases moved the first or last month of the history: region levels refilled).
    """
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    if not set(SUMMARY_TABLES) <= existing:
        refresh_summaries(con, transaction=False)
        return "full"
    script(con, Q.INGEST_ADDITIVE_INCIDENTS)
    refresh_period_additive(con, refresh_analysis_additive(con))
    if not con.execute("SELECT count(*) FROM ingest_incident_delta").fetchall()[0][0]:
        return "none"
    for table, period in (("incident_daily", "day"), ("incident_monthly", "month")):
        script(con, Q.INGEST_ADD_INCIDENT_SUMS, slots={"table": table, "period": period})
    kept = case_window_kept(con)
    refresh_case_tables(con, "new", kept=kept)
    refresh_overview_tables(con, "new", window_kept=kept)
    if _span_moved(con):
        for table in REGION_LEVELS:
            _refill(con, table)
        return "full"
    script(con, Q.INGEST_ADDITIVE_VILLAGE)
    for table in REGION_LEVELS:
        script(con, Q.INGEST_APPLY_LEVEL_DAILY, slots=APPLY_SLOTS[table])
    return "additive"


_CASE_TABLES_BY = {"touched": Q.SUMMARY_CASE_TABLES_TOUCHED, "new": Q.SUMMARY_CASE_TABLES_NEW}


def case_window_kept(con) -> bool:
    """Does a batch leave ``case_window`` where it was (``summary/case_window_kept.sql``:
    the stored window is the one the cases now put it at)? Asked before
    :func:`refresh_case_tables` moves it."""
    return bool(run(con, Q.SUMMARY_CASE_WINDOW_KEPT, form="rows")[0][0])


def refresh_case_tables(con, cases: str = "all", kept: bool | None = None) -> dict[str, int]:
    """Refresh the overview's case tables (:data:`CASE_TABLES`) from ``incidents``.

    ``case_window`` holds the moment (the newest report's day minus 30 days) from which
    ``open_cases`` (the alerts' candidates: open then or later) and ``recent_cases`` (the
    feed's: reported from seven days before it) hold every case a screen at that moment
    or later needs; queries/overview/alerts.sql and overview/feed.sql read them there and
    raw incidents before it. Runs inside the caller's transaction.

    ``cases`` says how they follow a batch, as for ``case_durations``
    (:func:`refresh_overview_tables`): ``"all"`` refills them whole (the full refresh);
    ``"touched"`` recomputes the rows of the grids the batch touched (TEMP
    ``ingest_touched``; the key-wise refresh) and ``"new"`` appends an insert-only batch's
    cases (TEMP ``ingest_diff``; the additive refresh), both only while the batch leaves
    the window where it was (:func:`case_window_kept`, or ``kept`` when the caller asked
    already): a batch that moves it (the first report of a new day) refills them whole.
    Every way equals a full refill (tested).
    Refilling whole after every batch rewrote 650k rows at 10M for a 10-case batch: 52 MB
    of write-ahead log and the store file written (docs/deploy.md, publishing).

    Returns
    -------
    dict
        Rows per table after the refresh.
    """
    if cases != "all" and cases not in _CASE_TABLES_BY:
        raise ValueError(f"cases: expected all, touched or new, got {cases!r}")
    if cases != "all" and (case_window_kept(con) if kept is None else kept):
        script(con, _CASE_TABLES_BY[cases])
        counts = run(con, Q.SUMMARY_CASE_TABLE_ROWS, form="rows")[0]
        return {table: int(n) for table, n in zip(CASE_TABLES, counts, strict=True)}
    return {table: _refill(con, table) for table in CASE_TABLES}


def _full_refresh_due(con, touched: int) -> bool:
    stored = con.execute("SELECT count(*) FROM incident_daily").fetchall()[0][0]
    return touched > FULL_REFRESH_SHARE * max(stored, 1)


def full_refresh_pending(con) -> bool:
    """Has a deferred load already made a full refresh due (``import_pending`` 'all')?"""
    return bool(con.execute("SELECT count(*) FROM import_pending WHERE kind = 'all'")
                .fetchall()[0][0])


def mark_full_refresh(con) -> None:
    """Make a full refresh the pending one (a bulk batch of a deferred load)."""
    con.execute("DELETE FROM import_pending")
    con.execute("INSERT INTO import_pending VALUES ('all', NULL, NULL, NULL)")


def defer_incremental(con) -> None:
    """Record the batch's keys (TEMP ``ingest_touched``) in ``import_pending`` instead of
    refreshing now; inside the batch's transaction, so the keys are pending exactly when
    the batch's rows are in. Once the pending keys pass the full-refresh threshold a single
    ``kind = 'all'`` row stands for them (a bulk load refreshes everything once anyway)."""
    if full_refresh_pending(con):
        return
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    # a key is in ingest_touched at most twice (old and new version): half its rows at least
    # are distinct keys; past the threshold already, skip writing keys a full refresh ignores
    touched = con.execute("SELECT count(*) FROM ingest_touched").fetchall()[0][0]
    if set(SUMMARY_TABLES) <= existing and not _full_refresh_due(con, touched // 2):
        # pending keys stay distinct, so their count is what a refresh would touch
        con.execute("INSERT INTO import_pending SELECT kind, grid_code, day, updated "
                    "FROM ingest_touched EXCEPT SELECT kind, grid_code, day, updated "
                    "FROM import_pending")
        pending = con.execute("SELECT count(*) FROM import_pending").fetchall()[0][0]
        if not _full_refresh_due(con, pending):
            return
    mark_full_refresh(con)


def refresh_pending(con, transaction: bool = True) -> str:
    """Refresh the summaries for the keys in ``import_pending`` and empty it, in one
    transaction of its own: after the last batch of a deferred load, at the end of any
    later load, or by ``gridcmd import repair`` after an interrupted one. With
    ``transaction=False`` inside the caller's (a replacing load commits its rows, its
    deletions and this refresh together).

    Returns
    -------
    str
        ``"none"`` (nothing pending), ``"incremental"`` or ``"full"``.
    """
    if not con.execute("SELECT count(*) FROM import_pending").fetchall()[0][0]:
        return "none"
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        if full_refresh_pending(con):
            refresh_summaries(con, transaction=False)
            mode = "full"
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE ingest_touched AS SELECT DISTINCT "
                        "grid_code, day, kind, updated FROM import_pending")
            mode = refresh_incremental(con)
        con.execute("DELETE FROM import_pending")
        if transaction:
            con.execute("COMMIT")
    except BaseException:
        if transaction:
            con.execute("ROLLBACK")
        raise
    return mode


# --- the analysis pages' read tables (四级联动, 满意度; migration 009) ---------------------

ANALYSIS_TABLES: tuple[str, ...] = ("handoff_daily", "closure_stays", "survey_case_daily")


def _analysis_tables_present(con) -> bool:
    """Are the analysis read tables there (all of them)?"""
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    present = [t for t in ANALYSIS_TABLES if t in existing]
    if present and len(present) != len(ANALYSIS_TABLES):
        missing = sorted(set(ANALYSIS_TABLES) - set(present))
        raise RuntimeError(f"store has only some analysis tables; missing {missing}")
    return bool(present)


# the words of queries/analysis/fill.sql's slots: every case, or the cases of the grids a
# batch touched, into the stored tables; an insert-only batch's new cases through TEMP
# tables (created by analysis/new_cases.sql, appended by analysis/new_append.sql)
FILL_ALL = {"cases": "incidents", "handoffs": "handoff_daily", "stays": "closure_stays"}
_FILL_TOUCHED = {**FILL_ALL, "cases": "analysis_cases"}
_FILL_NEW = {"cases": "analysis_cases", "handoffs": "analysis_handoffs_new",
             "stays": "analysis_stays_new"}


def refresh_analysis_tables(con) -> dict[str, int]:
    """Create (if missing) and refill ``handoff_daily``, ``closure_stays`` and
    ``survey_case_daily`` from the raw tables (``queries/analysis/fill.sql`` over every
    case), inside the caller's transaction; called by :func:`refresh_summaries`.

    Returns
    -------
    dict
        Rows per analysis table after the refill.
    """
    if not _analysis_tables_present(con):
        con.execute(sql(Q.ANALYSIS_SCHEMA))
    for table in ANALYSIS_TABLES:
        con.execute(f"DELETE FROM {table}")
    script(con, Q.ANALYSIS_FILL, slots=FILL_ALL)
    counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
              for t in ANALYSIS_TABLES}
    counts.update(refresh_first_call_tables(con))
    return counts


def refresh_first_call_tables(con) -> dict[str, int]:
    """Refill the first-call tables of migration 017 whole (``satisfaction_city`` from
    ``survey_case_daily``, ``repeat_place_cases`` and ``case_facets_city`` from
    ``incidents``) and the ranked durations of migration 018 (:func:`refresh_duration_ranks`),
    inside the caller's transaction; nothing on a store older than 017 (018).
    Called by :func:`refresh_analysis_tables`, and after a Spark build is loaded
    (``dashboard/spark/lake.py``: the Spark plan does not build them)."""
    counts = {}
    if _first_call_due(con):
        counts.update(refresh_satisfaction_city(con))
        counts.update(refresh_repeat_places(con))
        counts.update(refresh_case_facets(con))
    if _ranks_due(con):
        counts.update(refresh_duration_ranks(con))
    return counts


def refresh_analysis_incremental(con) -> None:
    """After a batch (TEMP ``ingest_touched``): recompute the analysis read tables' rows of
    every grid the batch touched through an incident or a survey
    (``queries/analysis/touched.sql``, then ``analysis/fill.sql`` over those grids' cases).
    The result equals :func:`refresh_analysis_tables` (tested)."""
    _refill_analysis_cases(con, Q.ANALYSIS_TOUCHED)


def refresh_analysis_additive(con) -> bool:
    """After an insert-only case batch (TEMP ``ingest_diff``): add the new cases' rows to
    the analysis read tables (``queries/analysis/new_cases.sql``, ``analysis/fill.sql``)
    and their durations to the ranked durations (``analysis/ranks_add.sql``); no stored
    row changes. The result equals :func:`refresh_analysis_tables` (tested).

    Returns
    -------
    bool
        True when the new cases' hand-offs and stays were added (and are in the TEMP
        tables ``analysis_handoffs_new``, ``analysis_stays_new`` for
        :func:`refresh_period_additive`); False when the tables were refilled whole.
    """
    return _refill_analysis_cases(con, Q.ANALYSIS_NEW_CASES)


def _refill_analysis_cases(con, selection: str) -> bool:
    """Refill the analysis read tables' rows of the cases ``queries/<selection>.sql`` puts
    in the TEMP view ``analysis_cases`` (or all of them on a store without the tables:
    then False)."""
    if not _analysis_tables_present(con):
        refresh_analysis_tables(con)
        return False
    touched = selection == Q.ANALYSIS_TOUCHED
    script(con, selection)
    if touched:
        script(con, Q.ANALYSIS_FILL, slots=_FILL_TOUCHED)
    else:
        # the new cases' hand-offs and stays pass through TEMP tables, which the period
        # tables' additive step reads (refresh_period_additive)
        script(con, Q.ANALYSIS_FILL, slots=_FILL_NEW)
        script(con, Q.ANALYSIS_NEW_APPEND)
    # the grids and the earliest days from which the read tables may have changed
    # (queries/analysis/batch_touched.sql, batch_new.sql say which and why), and the
    # counties and earliest survey day of the survey_case_daily rows that changed: the
    # touched grids' rows before and after, or the new cases' surveys
    if touched:
        # every lifecycle day of a touched case is touched: the ranks refill from `since`
        grids, since = run(con, Q.ANALYSIS_BATCH_TOUCHED, form="rows")[0]
        ranks_since = since
    else:
        grids, since, ranks_since = run(con, Q.ANALYSIS_BATCH_NEW, form="rows")[0]
    grids = list(grids or [])
    survey_since, survey_counties = run(
        con, Q.ANALYSIS_SURVEYS_CHANGED if touched else Q.ANALYSIS_SURVEYS_NEW,
        form="rows")[0]
    counties = sorted({g[:6] for g in grids})
    if _ranks_due(con):
        if not _table_present(con, "duration_ranks"):
            refresh_duration_ranks(con)
        elif ranks_since is not None and touched:
            refresh_duration_ranks(con, counties, ranks_since)
        elif ranks_since is not None:
            # new cases change no stored duration: theirs are appended and counted
            script(con, Q.ANALYSIS_RANKS_ADD, counties=counties, since=ranks_since)
    con.execute("DROP VIEW analysis_cases")
    if touched:
        con.execute("DROP TABLE analysis_surveys_before")
    if _first_call_due(con):
        if survey_since is not None or not _table_present(con, "satisfaction_city"):
            refresh_satisfaction_city(con, survey_counties or [], survey_since)
        if not _table_present(con, "repeat_place_cases"):
            refresh_repeat_places(con)
        elif grids and touched:
            refresh_repeat_places(con, grids)
        elif grids:  # new cases change only their own places
            script(con, Q.ANALYSIS_REPEAT_ADD)
        if since is not None or not _table_present(con, "case_facets_city"):
            refresh_case_facets(con, counties, since)
    return True


# --- the 满意度 page's period table (migration 017) -----------------------------------------

SATISFACTION_TABLES: tuple[str, ...] = ("satisfaction_city",)
# the 事件 page's repeat-place cases (migration 017)
REPEAT_TABLES: tuple[str, ...] = ("repeat_place_cases",)
# the 事件 page's facet counts (migration 017)
FACET_TABLES: tuple[str, ...] = ("case_facets_city",)
# a place shown by the 事件 page has at least this many filtered cases: the table holds
# every case of the places with this many cases of any kind
REPEAT_MIN_CASES = 3


FIRST_CALL_VERSION = 17
"""The schema version (migration 017) from which a store has the first-call tables."""


def _first_call_due(con) -> bool:
    """Does the store keep the first-call tables (migration 017)? A store being migrated
    from an older version rebuilds its summaries with the columns of its version (no
    ``point_quality`` before 007): 017 creates these tables when it runs."""
    if _table_present(con, "satisfaction_city"):
        return True
    # meta's schema_version, read here (dashboard.store imports this module)
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() \
        if _table_present(con, "meta") else []
    if not rows or not str(rows[0][0]).isdigit():  # a bare store of a test: the current one
        return True
    return int(rows[0][0]) >= FIRST_CALL_VERSION


# the engine's ranked durations (migration 018)
RANK_TABLES: tuple[str, ...] = ("duration_ranks", "duration_bins")

RANKS_VERSION = 18
"""The schema version (migration 018) from which a store has the ranked durations."""


def _ranks_due(con) -> bool:
    """Does the store keep ``duration_ranks`` and ``duration_bins`` (migration 018)? As
    :func:`_first_call_due`: a store being migrated from an older version gets them when
    018 runs."""
    if _table_present(con, "duration_ranks"):
        return True
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() \
        if _table_present(con, "meta") else []
    if not rows or not str(rows[0][0]).isdigit():
        return True
    return int(rows[0][0]) >= RANKS_VERSION


def refresh_duration_ranks(con, counties: list[str] | None = None,
                           since: date | None = None) -> dict[str, int]:
    """Create (if missing) and refill ``duration_ranks`` and ``duration_bins``, the ranked
    durations of the engine's exact quantiles (``queries/analysis/ranks_fill.sql``): the
    rows of ``counties`` (every county when None) from ``since``'s month on (every month
    when None; everything when the tables were missing), from ``incidents``, inside the
    caller's transaction. After a batch the touched grids' counties from its earliest
    touched day equal a full refill (tested).

    Returns
    -------
    dict
        Rows of both tables after the refill.
    """
    counts = _refill_keyed(con, "duration_ranks", Q.ANALYSIS_RANKS_SCHEMA,
                           Q.ANALYSIS_RANKS_FILL, counties=counties, since=since)
    counts["duration_bins"] = int(
        con.execute("SELECT count(*) FROM duration_bins").fetchone()[0])
    return counts


def _table_present(con, table: str) -> bool:
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    return table in existing


def refresh_satisfaction_city(con, counties: list[str] | None = None,
                              since: date | None = None) -> dict[str, int]:
    """Create (if missing) and refill ``satisfaction_city``, the 满意度 page's period table
    (``queries/analysis/satisfaction_fill.sql``): the rows of ``counties`` (6-digit codes;
    every county when None) from ``since`` on (every day when None; everything when the
    table was missing) from ``survey_case_daily``, inside the caller's transaction. Run
    after ``survey_case_daily`` is current; after a batch the counties and earliest day of
    the ``survey_case_daily`` rows it changed (``analysis/surveys_changed.sql``,
    ``analysis/surveys_new.sql``) equal a full refill (tested).

    Returns
    -------
    dict
        Rows of the table after the refill.
    """
    return _refill_keyed(con, "satisfaction_city", Q.ANALYSIS_SATISFACTION_SCHEMA,
                         Q.ANALYSIS_SATISFACTION_FILL, counties=counties, since=since)


def refresh_repeat_places(con, grids: list[str] | None = None) -> dict[str, int]:
    """Create (if missing) and refill ``repeat_place_cases``, the 事件 page's repeat-place
    cases (``queries/analysis/repeat_fill.sql``): the rows of ``grids`` (every grid when
    None, and when the table was missing) from ``incidents``, inside the caller's
    transaction. A place lies in one grid, so refilling the grids a batch touched equals
    a full refill (tested).

    Returns
    -------
    dict
        Rows of the table after the refill.
    """
    return _refill_keyed(con, "repeat_place_cases", Q.ANALYSIS_REPEAT_SCHEMA,
                         Q.ANALYSIS_REPEAT_FILL, grids=grids)


def refresh_case_facets(con, counties: list[str] | None = None,
                        since: date | None = None) -> dict[str, int]:
    """Create (if missing) and refill ``case_facets_city``, the 事件 page's facet counts per
    report day and county (``queries/analysis/facets_fill.sql``): the rows of ``counties``
    (every county when None) from ``since`` on (every day when None; everything when the
    table was missing), from ``incidents``, inside the caller's transaction. After a batch
    the touched grids' counties from its earliest touched day equal a full refill
    (tested).

    Returns
    -------
    dict
        Rows of the table after the refill.
    """
    return _refill_keyed(con, "case_facets_city", Q.ANALYSIS_FACETS_SCHEMA,
                         Q.ANALYSIS_FACETS_FILL, counties=counties, since=since)


def _refill_keyed(con, table: str, schema: str, fill: str, **keys) -> dict[str, int]:
    """Create ``table`` by ``schema`` when it is missing, then run ``fill`` with ``keys``
    (lists of codes, sorted; ``since`` a day): None means every row, and so does a table
    that was just created. Returns the table's rows after the refill."""
    if not _table_present(con, table):
        con.execute(sql(schema))
        keys = dict.fromkeys(keys)
    params = {k: v if v is None or k == "since" else sorted(v) for k, v in keys.items()}
    if "since" in params:
        params["since"] = params["since"] or _FIRST_DAY
    script(con, fill, **params)
    return {table: int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])}


# --- the overview's open hazards, open sensor alerts and case durations (migration 010) ---

OPEN_TABLES: tuple[str, ...] = ("open_hazards", "open_alerts")
OVERVIEW_TABLES: tuple[str, ...] = (*OPEN_TABLES, "case_durations")
_DURATIONS = {"touched": Q.SUMMARY_DURATIONS_TOUCHED, "new": Q.SUMMARY_DURATIONS_NEW_CASES}


def refresh_overview_tables(con, cases: str | None = "all", items: str | None = None,
                            others: bool | None = None,
                            window_kept: bool = False) -> dict[str, int]:
    """Create (if missing) and refresh the overview's read tables of migration 010
    (``queries/overview/tables_schema.sql``) and the open-items table of migration 014
    (``dashboard/open_items.py``), inside the caller's transaction.

    ``open_hazards`` and ``open_alerts`` hold every hazard and sensor alert open at some
    moment at or after ``case_window.since``; the alerts panel and the critical alert read
    them for such a moment instead of the raw tables. They depend on the raw hazards, the
    sensor alerts and the case window, and are refilled whole by a full refresh, when
    hazards may have changed (``others``) and unless the caller says the batch left the
    window where it was (``window_kept``, :func:`case_window_kept` asked before the window
    moved): a case batch changes none of their other inputs. (Refilled after every case
    batch, they were 88% of a 10-case batch's write-ahead log at 10M: 10.5 of 11.9 MiB,
    106k rows deleted and inserted.)

    ``case_durations`` holds the handling and closing hours of every closed case, which the
    engine's exact quantiles read (``queries/kpi/incident_quantiles.sql``). ``cases`` says
    how it follows the cases: ``"all"`` refills it (the full refresh), ``"touched"``
    recomputes the grids a batch touched (TEMP ``ingest_touched``; the key-wise refresh),
    ``"new"`` adds an insert-only batch's cases (TEMP ``ingest_diff``; the additive
    refresh), None leaves it (a batch without cases). Each equals a full refill (tested).

    ``open_items`` is refilled by ``"all"`` and otherwise updated in place
    (:func:`dashboard.open_items.update`), following the cases ``items`` names:
    ``"batch"`` (TEMP ``ingest_diff``: the default for ``"new"``) or ``"touched"`` (every
    case of the touched grids: the default for ``"touched"``); none for ``cases`` None.
    ``others`` says whether hazards may have changed (its open hazards and sensor alerts
    are then compared with the raw rows); by default only when ``cases`` is None (a
    hazards batch), not after an insert-only case batch.

    Returns
    -------
    dict
        Rows per table after the refresh.
    """
    if others is None:
        others = cases is None
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    refill_open = cases == "all" or others or not window_kept \
        or not set(OPEN_TABLES) <= existing  # (tables just created are filled)
    script(con, Q.OVERVIEW_TABLES_SCHEMA)
    if refill_open:
        counts = {table: int(con.execute(sql(Q.SUMMARY[table])).fetchone()[0])
                  for table in OPEN_TABLES}
    else:
        counts = {table: int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                  for table in OPEN_TABLES}
    if cases == "all":
        con.execute(sql(Q.SUMMARY_CASE_DURATIONS))
    elif cases in _DURATIONS:
        script(con, _DURATIONS[cases])
    elif cases is not None:
        raise ValueError(f"cases: expected all, touched, new or None, got {cases!r}")
    counts["case_durations"] = int(con.execute(
        "SELECT count(*) FROM case_durations").fetchone()[0])
    # the live screen's open items (migration 014)
    if cases == "all":
        counts.update(open_items.refresh(con))
    elif cases is None:
        counts.update(open_items.update(con, None, others=others))
    else:
        counts.update(open_items.update(
            con, items or {"new": "batch", "touched": "touched"}[cases], others=others))
    return counts


# --- the 时效 and 四级联动 period tables (migration 011) ------------------------------------

PERIOD_TABLES: tuple[str, ...] = ("timeliness_city", "linkage_city", "open_case_keys")
# before every stored day: a full refill
_FIRST_DAY = date(1900, 1, 1)


def _period_tables_present(con) -> bool:
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    present = [t for t in PERIOD_TABLES if t in existing]
    if present and len(present) != len(PERIOD_TABLES):
        missing = sorted(set(PERIOD_TABLES) - set(present))
        raise RuntimeError(f"store has only some period tables; missing {missing}")
    return bool(present)


def refresh_period_tables(con, since: date | None = None) -> dict[str, int]:
    """Create (if missing) and refill the period tables of the 时效 and 四级联动 pages
    (``timeliness_city``, ``linkage_city``: their rows from ``since`` on, every row when
    None or when the tables were missing; ``open_case_keys`` whole) from ``incidents``,
    ``handoff_daily`` and ``closure_stays`` (``queries/analysis/period_fill.sql``), inside
    the caller's transaction. Run after the analysis read tables are current.

    Returns
    -------
    dict
        Rows per period table after the refill.
    """
    if not _period_tables_present(con):
        con.execute(sql(Q.ANALYSIS_PERIOD_SCHEMA))
        since = None
    script(con, Q.ANALYSIS_PERIOD_FILL, since=since or _FIRST_DAY)
    return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in PERIOD_TABLES}


def refresh_period_incremental(con) -> None:
    """After a batch (TEMP ``ingest_touched``): the period tables from the earliest day the
    batch touched through a case (any lifecycle day of an old or new version; every row
    of a case lies on or after its report day). A batch of no cases changes none. The
    result equals a full :func:`refresh_period_tables` (tested)."""
    since = con.execute("SELECT min(day) FROM ingest_touched WHERE kind = 'incidents'"
                        ).fetchone()[0]
    if since is not None or not _period_tables_present(con):
        refresh_period_tables(con, since)


def refresh_period_additive(con, added: bool = False) -> None:
    """After an insert-only case batch (TEMP ``ingest_diff``): add the new cases' rows to
    the period tables (``queries/analysis/period_add.sql``) when ``added`` (the analysis
    read tables took the new cases' hand-offs and stays through their TEMP tables:
    :func:`refresh_analysis_additive`), else refill them from the new cases' earliest
    report day (their rows lie on or after it). Either result equals a full
    :func:`refresh_period_tables` (tested)."""
    since = con.execute("SELECT CAST(min(i.reported_at) AS DATE) FROM incidents AS i "
                        "SEMI JOIN ingest_diff AS d ON d.case_no = i.case_no "
                        "AND d.op = 'insert'").fetchone()[0]
    if not _period_tables_present(con):
        refresh_period_tables(con)
    elif since is not None and added:
        script(con, Q.ANALYSIS_PERIOD_ADD, since=since)
    elif since is not None:
        refresh_period_tables(con, since)
