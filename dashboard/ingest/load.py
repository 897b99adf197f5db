"""Loading records: batches, one transaction each, upsert by natural key, quarantine, log.

A file is staged once (``readers.stage``), then processed in batches of ``batch_rows``
records. Each batch runs in ONE DuckDB transaction: validation, the upsert into the
target table, the incremental summary refresh (or, in a file of several batches, its keys
recorded in ``import_pending``), the quarantine rows and the batch's row in
``import_batches``. A batch is therefore in the store completely or not at all, whatever
kills the loader, and the log says exactly which batches are in. A file of several batches
refreshes the summaries once after its last batch, in a transaction of its own
(``summaries.refresh_pending``); keys an interrupted load left pending are refreshed by the
next load or ``gridcmd import repair``. A rerun skips the batches the log already holds for
the same file, mapping and rules (SHA-256 of the file, of the canonical mapping, and
``validate.RULES_VERSION``) and redoes the rest, so an interrupted load finishes at the
same state as an uninterrupted one, and loading the same file twice changes nothing; the
same file with a corrected mapping loads again. A *different* file with known natural keys
updates those rows (rows equal to the stored ones count as unchanged and are not
rewritten). Every row an import inserts or changes carries its batch (``batch_id``).

A *replacing* load (``replace=True``, ``gridcmd import records --replace``) loads the file
anew and removes what earlier imports of the same file (same SHA-256, any mapping) wrote
and no later import changed since: their rows that still carry their batches, their
quarantine rows and their log rows, all in ONE transaction with the summary refresh, so a
reader sees the old import or the new one, never a mix, and a crash leaves the old one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from dashboard import taxonomy
from dashboard.clock import store_now, store_zone
from dashboard.ingest import quality, readers
from dashboard.ingest.kinds import KINDS, Kind
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.spatial import GridIndex
from dashboard.ingest.validate import (
    FUTURE_SLACK_MINUTES,
    RULES_VERSION,
    Area,
    checked_sql,
    earliest_time,
    geo_check,
    has_code_map,
    key_hash_sql,
    keys_unique_sql,
    plan,
    tz_counts_sql,
)
from dashboard.kpi.summaries import (
    ADDITIVE,
    FULL_REFRESH_SHARE,
    STANDALONE,
    defer_incremental,
    full_refresh_pending,
    mark_full_refresh,
    refresh_additive,
    refresh_incremental,
    refresh_pending,
    refresh_summaries,
)
from queries import names as Q
from queries import run, script, sql

BATCH_ROWS = 1_000_000
# DuckDB's memory during an import (staging, typing, rule query, upsert, summary refresh):
# beyond it DuckDB spills to its temp_directory (a file store: ``<store>.tmp``). With the
# loader's own numpy/pandas per batch, an import stays under 2 GB RSS whatever the file's
# size (docs/ingest.md, Speed and memory). A connection already limited lower keeps its
# limit.
IMPORT_MEMORY_LIMIT = "1GB"
_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
# a replacing load removes the replaced rows of dependent kinds first (a survey's summary
# keys are found through its case)
REPLACE_ORDER = ("area_surveys", "surveys", "visits", "sensor_readings", "hazards",
                 "key_persons", "incidents")


# how a load's batches brought the summaries up to date, cheapest first: nothing to do,
# new records added (summaries.refresh_additive), touched keys recomputed
# (refresh_incremental), everything refilled
SUMMARY_MODES = ("none", "additive", "incremental", "full")


@dataclass
class LoadSummary:
    """What a load did; ``rows_in == inserted + updated + unchanged + quarantined + skipped``.

    ``skipped`` counts rows of batches an earlier run had already committed (same file).
    """

    kind: str
    files: list[str] = field(default_factory=list)
    rows_in: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: int = 0
    outside_grid: int = 0
    batches: int = 0
    by_rule: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    summaries: str = "none"
    deferred: bool = False  # batches left their summary keys to one refresh at the end
    phases: Counter = field(default_factory=Counter)
    # vocabulary → values a mapping's [taxonomy] add_unknown added to the store's lists
    added: dict[str, list[str]] = field(default_factory=dict)
    # time values of the rows loaded: with an offset (or epochs), converted to the store's
    # zone; without one, taken as tz_assumed (import_batches.tz_*)
    tz_offset: int = 0
    tz_naive: int = 0
    tz_assumed: str = ""
    tz_store: str = ""
    # a replacing load: earlier batches of the same file replaced, their rows removed (not
    # in the new load, or quarantined by it), their quarantine rows removed, and their rows
    # kept because a later import has changed them since
    replaced_batches: int = 0
    removed: int = 0
    removed_quarantine: int = 0
    kept_overwritten: int = 0
    # placeholder points (dashboard/ingest/quality.py): key -> what happened to their rows
    placeholders: dict = field(default_factory=dict)
    no_deadline: int = 0  # loaded registered cases without a deadline_at

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def rows_per_second(self) -> float:
        return self.rows_in / self.seconds if self.seconds > 0 else 0.0

    def balanced(self) -> bool:
        return self.rows_in == self.loaded + self.quarantined + self.skipped

    def add(self, other: LoadSummary) -> None:
        for name in ("rows_in", "inserted", "updated", "unchanged", "quarantined", "skipped",
                     "outside_grid", "batches", "tz_offset", "tz_naive", "replaced_batches",
                     "removed", "removed_quarantine", "kept_overwritten"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        assumed = [z for z in (self.tz_assumed, other.tz_assumed) if z]
        self.tz_assumed = ", ".join(dict.fromkeys(", ".join(assumed).split(", "))) \
            if assumed else ""
        self.tz_store = self.tz_store or other.tz_store
        self.by_rule.update(other.by_rule)
        self.phases.update(other.phases)
        self.files += other.files
        self.deferred |= other.deferred
        for name, values in other.added.items():
            self.added.setdefault(name, []).extend(values)
        self.no_deadline += other.no_deadline
        for key, tally in other.placeholders.items():
            if key in self.placeholders:
                self.placeholders[key].merge(tally)
            else:
                self.placeholders[key] = tally
        # the costliest refresh any batch needed
        self.summaries = max(self.summaries, other.summaries, key=SUMMARY_MODES.index)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "files": self.files, "rows_in": self.rows_in,
                "loaded": self.loaded, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "quarantined": self.quarantined,
                "skipped": self.skipped, "outside_grid": self.outside_grid,
                "batches": self.batches, "quarantined_by_rule": dict(self.by_rule),
                "seconds": round(self.seconds, 3),
                "rows_per_second": round(self.rows_per_second), "summaries": self.summaries,
                "summaries_deferred": self.deferred,
                "added_to_taxonomy": {k: list(v) for k, v in self.added.items()},
                "tz_offset_values": self.tz_offset, "tz_naive_values": self.tz_naive,
                "tz_assumed": self.tz_assumed, "store_timezone": self.tz_store,
                "replaced_batches": self.replaced_batches, "removed": self.removed,
                "removed_quarantine": self.removed_quarantine,
                "kept_overwritten": self.kept_overwritten,
                "placeholder_points": [t.as_dict() for t in self.placeholders.values()],
                "no_deadline": self.no_deadline,
                "phase_seconds": {k: round(v, 3) for k, v in self.phases.items()}}

    def report(self) -> str:
        """The summary printed after every load (Chinese first, English second)."""
        lines = [
            f"导入 import {self.kind}: {len(self.files)} 个文件 file(s), {self.batches} 批 "
            f"batch(es)",
            f"  读入 rows in      {self.rows_in:>12,}",
            f"  入库 loaded       {self.loaded:>12,}  (新增 inserted {self.inserted:,}, "
            f"更新 updated {self.updated:,}, 未变 unchanged {self.unchanged:,})",
            f"  隔离 quarantined  {self.quarantined:>12,}",
        ]
        for rule, n in sorted(self.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"      {rule:<28}{n:>10,}")
        if self.skipped:
            lines.append(f"  已导入 skipped    {self.skipped:>12,}  (batches already in the "
                         f"store from an earlier run)")
        if self.outside_grid:
            lines.append(f"  网格外 outside every grid (kept, grid_code '') "
                         f"{self.outside_grid:,}")
        if self.added:
            lines.append("  新增分类 added to taxonomy: " + "; ".join(
                f"{name} {len(values)} ({'、'.join(values[:8])}"
                f"{' …' if len(values) > 8 else ''})"
                for name, values in self.added.items()))
        lines += [t.line() for t in self.placeholders.values()]
        if self.tz_offset or self.tz_naive:
            lines.append(f"  时区 time zone: {self.tz_naive:,} naive times taken as "
                         f"{self.tz_assumed or '?'}; {self.tz_offset:,} with offsets "
                         f"converted" + (f" (store zone {self.tz_store})"
                                         if self.tz_store else ""))
        if self.replaced_batches:
            lines.append(f"  替换 replaced {self.replaced_batches:,} earlier batch(es) of the "
                         f"same file: removed {self.removed:,} rows no longer loaded and "
                         f"{self.removed_quarantine:,} quarantine rows; kept "
                         f"{self.kept_overwritten:,} rows a later import has changed since")
        lines.append(f"  用时 time {self.seconds:.2f} s, {self.rows_per_second:,.0f} rows/s; "
                     f"summaries: {self.summaries}"
                     + (" (once, after the last batch)" if self.deferred else ""))
        lines.append(f"  rows in = loaded + quarantined + skipped: "
                     f"{self.rows_in:,} = {self.loaded:,} + {self.quarantined:,} + "
                     f"{self.skipped:,}" + ("" if self.balanced() else "  ← MISMATCH"))
        return "\n".join(lines)


def store_area(con) -> Area:
    """The area points may lie in (the bounds of the top-level regions) and the grid index
    of a store, built on first use with ``con``: use the Area while ``con`` is open."""
    wkb = [bytes(r[0]) for r in con.execute(
        "SELECT geometry FROM regions WHERE parent_code IS NULL").fetchall()]
    if wkb:
        bounds = shapely.total_bounds(shapely.from_wkb(wkb))
        return Area(tuple(bounds), lambda: GridIndex.from_store(con))
    index = GridIndex.from_store(con)
    return Area(tuple(index.bounds), index)


LOG_TABLES = ("import_batches", "quarantine", "import_pending", "import_placeholders")


def ensure_log_tables(con) -> None:
    """Create the import log tables in a store built before they existed (store/schema.sql holds
    their DDL; the statements are taken from there so there is one definition)."""
    import re

    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    for table in LOG_TABLES:
        if table not in existing:
            ddl = re.search(rf"CREATE TABLE {table} \(.*?\n\);", sql(Q.STORE_SCHEMA), re.S)
            con.execute(ddl.group(0))


def limit_bytes(size: str) -> float:
    """A DuckDB size setting (``'18.8 GiB'``, ``'1GB'``) in bytes; inf when unreadable."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(size))
    if not m or m.group(2).lower() not in _UNITS:
        return float("inf")
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


@contextmanager
def bounded_memory(con, limit: str = IMPORT_MEMORY_LIMIT):
    """Hold DuckDB's ``memory_limit`` of ``con``'s database at ``limit`` or below while an
    import runs, then restore it. The setting is the database instance's (the intake's
    cursor shares the server's): an instance limited lower keeps its own limit, and
    ``temp_directory`` is DuckDB's default beside a file store (or what the owner set).
    The limit is restored as DuckDB shows it (to a tenth of its unit: ``'3.7 GiB'``)."""
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    lower = limit_bytes(before) > limit_bytes(limit)
    if lower:
        con.execute("SET memory_limit = $limit", {"limit": limit})
    try:
        yield
    finally:
        if lower:
            con.execute("SET memory_limit = $limit", {"limit": before})


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def load_files(con, kind: str, mapping: Mapping, paths, *, batch_rows: int = BATCH_ROWS,
               via: str = "cli", progress: bool = False, area: Area | None = None,
               now: datetime | None = None, display_names: dict | None = None,
               replace: bool = False, earliest=None) -> LoadSummary:
    """Load record files into a read-write store, batch by batch.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Read-write connection (or cursor) to the store; used from one thread.
    kind : str
        Record kind, a key of :data:`dashboard.ingest.kinds.KINDS`.
    mapping : Mapping
        The column map (``Mapping.identity(kind)`` for our own column names).
    paths : iterable of path
        Files to load, in order.
    batch_rows : int
        Records per transaction.
    area : Area, optional
        Reuse a grid index across loads (the intake endpoint does); built from the store
        when omitted.
    now : datetime, optional
        The loader's clock for the future-time rule (wall time of the store's zone;
        default: the store's clock, ``dashboard.clock.store_now``).
    display_names : dict, optional
        Path → name recorded in the log and quarantine (the intake spools uploads under
        unique names).
    replace : bool
        Replace earlier imports of each file (same SHA-256, any mapping): see the module
        docstring.
    earliest : date, datetime or str, optional
        The earliest plausible time (``implausible_time`` before it): the setting
        ``ingest_earliest``; a mapping's ``[rules] earliest`` wins over it.

    Raises
    ------
    readers.FileError
        A file cannot be read as a whole (encoding, empty, missing column): nothing of that
        file is stored; files before it stay loaded.
    """
    with bounded_memory(con):
        return _load_files(con, kind, mapping, paths, batch_rows=batch_rows, via=via,
                           progress=progress, area=area, now=now,
                           display_names=display_names, replace=replace, earliest=earliest)


def _load_files(con, kind: str, mapping: Mapping, paths, *, batch_rows: int, via: str,
                progress: bool, area: Area | None, now: datetime | None,
                display_names: dict | None, replace: bool, earliest) -> LoadSummary:
    spec = KINDS[kind]
    total = LoadSummary(kind=kind)
    started = time.perf_counter()
    ensure_log_tables(con)
    area = area or (store_area(con) if spec.point else None)
    try:
        for path in map(Path, paths):
            t0 = time.perf_counter()
            sha = file_sha256(path)
            name = (display_names or {}).get(path, path.name)
            staged = readers.stage(con, path, mapping, name)
            total.phases["read"] += time.perf_counter() - t0
            load = _replace if replace else _load_staged
            try:
                total.add(load(con, spec, mapping, staged, name=name, sha=sha,
                               batch_rows=batch_rows, via=via, progress=progress, area=area,
                               now=now, earliest=earliest))
            finally:
                readers.drop_staging(con)
    except Exception:
        # a file-level error: the files (and batches) before it are in; so are their summaries
        _finish(con, total)
        raise
    _finish(con, total)
    total.seconds = time.perf_counter() - started
    return total


def _finish(con, total: LoadSummary) -> None:
    """The deferred summary refresh: the keys this load (or an interrupted earlier one)
    left in ``import_pending``, in one transaction. Not reached when the process dies or
    is interrupted: the next load or ``gridcmd import repair`` does it then."""
    t0 = time.perf_counter()
    mode = refresh_pending(con)
    if mode != "none":
        total.phases["summaries"] += time.perf_counter() - t0
        total.summaries = max(total.summaries, mode, key=SUMMARY_MODES.index)


def load_records(con, kind: str, records: list, *, source: str, mapping: Mapping | None
                 = None, area: Area | None = None, now: datetime | None = None,
                 via: str = "http", earliest=None) -> LoadSummary:
    """Load in-memory records (a JSON batch of the intake endpoint) as one batch.

    An element that is not a JSON object is quarantined as ``malformed_json`` with its
    position in the batch as the line; the objects are loaded as usual.
    """
    with bounded_memory(con):
        return _load_records(con, kind, records, source=source, mapping=mapping, area=area,
                             now=now, via=via, earliest=earliest)


def _load_records(con, kind: str, records: list, *, source: str, mapping: Mapping | None,
                  area: Area | None, now: datetime | None, via: str,
                  earliest) -> LoadSummary:
    import json

    spec = KINDS[kind]
    mapping = mapping or Mapping.identity(kind)
    started = time.perf_counter()
    ensure_log_tables(con)
    body = json.dumps(records, ensure_ascii=False, sort_keys=True).encode()
    objects = [r for r in records if isinstance(r, dict)]
    lines = np.array([i for i, r in enumerate(records, start=1) if isinstance(r, dict)],
                     dtype=np.int64)
    bad = [(i, "malformed_json", json.dumps(r, ensure_ascii=False)[:500])
           for i, r in enumerate(records, start=1) if not isinstance(r, dict)]
    frame = readers.records_frame(objects)
    if frame.empty and len(objects):
        frame = pd.DataFrame(index=range(len(objects)))
    if not objects:  # nothing but malformed elements: an empty batch of our columns
        frame = pd.DataFrame({f.name: pd.Series(dtype=object) for f in spec.fields})
    names = readers._frame_to_raw(con, frame, lines)
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'ingest_raw_t'").fetchall())
    staged = readers.Staged(columns=names, types=types, rows=len(frame),
                            rejects=readers._rejects(bad))
    area = area or (store_area(con) if spec.point else None)
    try:
        out = _load_staged(con, spec, mapping, staged, name=source,
                           sha=hashlib.sha256(body).hexdigest(), batch_rows=max(1, len(frame)),
                           via=via, progress=False, area=area, now=now, earliest=earliest)
    finally:
        readers.drop_staging(con)
    _finish(con, out)
    out.files = [source]
    out.seconds = time.perf_counter() - started
    return out


def _replace(con, spec: Kind, mapping: Mapping, staged: readers.Staged, *, name: str,
             sha: str, **kw) -> LoadSummary:
    """Load a staged file anew, replacing the earlier imports of the same file, in one
    transaction with the summary refresh (see the module docstring)."""
    con.execute("CREATE OR REPLACE TEMP TABLE ingest_replaced AS "
                "SELECT id FROM import_batches WHERE file_sha256 = $sha", {"sha": sha})
    old = con.execute("SELECT kind, count(*), sum(inserted + updated) FROM import_batches "
                      "WHERE id IN (SELECT id FROM ingest_replaced) GROUP BY kind"
                      ).fetchall()
    kinds = [k for k in REPLACE_ORDER if k in {row[0] for row in old}]
    con.execute("BEGIN TRANSACTION")
    try:
        written = sum(int(w or 0) for _, _, w in old)
        carried = {k: _carrying(con, KINDS[k].table) for k in kinds}
        out = _load_staged(con, spec, mapping, staged, name=name, sha=sha, replacing=True,
                           **kw)
        t0 = time.perf_counter()
        out.replaced_batches = sum(int(n) for _, n, _ in old)
        out.kept_overwritten = max(0, written - sum(carried.values()))
        con.execute("CREATE OR REPLACE TEMP TABLE ingest_touched (grid_code VARCHAR, "
                    "day DATE, kind VARCHAR, updated BOOLEAN)")
        for k in kinds:
            out.removed += _carrying(con, KINDS[k].table)
            script(con, Q.INGEST_REPLACE[k])
        if out.removed:
            defer_incremental(con)
        out.removed_quarantine = con.execute(
            "SELECT count(*) FROM quarantine WHERE batch_id IN (SELECT id FROM "
            "ingest_replaced)").fetchall()[0][0]
        con.execute("DELETE FROM quarantine WHERE batch_id IN (SELECT id FROM ingest_replaced)")
        con.execute("DELETE FROM import_placeholders WHERE batch_id IN "
                    "(SELECT id FROM ingest_replaced)")
        con.execute("DELETE FROM import_batches WHERE id IN (SELECT id FROM ingest_replaced)")
        mode = refresh_pending(con, transaction=False)
        out.summaries = max(out.summaries, mode, key=SUMMARY_MODES.index)
        out.deferred = False
        con.execute("COMMIT")
        out.phases["replace+summaries"] += time.perf_counter() - t0
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS ingest_replaced")
    return out


def _carrying(con, table: str) -> int:
    """Rows of ``table`` that carry one of the batches being replaced."""
    return int(con.execute(f"SELECT count(*) FROM {table} WHERE batch_id IN "
                           "(SELECT id FROM ingest_replaced)").fetchall()[0][0])


def _load_staged(con, spec: Kind, mapping: Mapping, staged: readers.Staged, *, name: str,
                 sha: str, batch_rows: int, via: str, progress: bool, area: Area | None,
                 now: datetime | None, replacing: bool = False,
                 earliest=None) -> LoadSummary:
    from tqdm import tqdm

    summary = LoadSummary(kind=spec.name, files=[name])
    zone = store_zone(con).key
    p = plan(spec, mapping, staged, code_map=has_code_map(con), store_tz=zone)
    summary.tz_store = zone
    _stage_values(con, mapping)
    found = quality.Placeholders()
    rules = mapping.quality
    if spec.point and {"lon", "lat"} <= p.present and (rules.detect or rules.points):
        t0 = time.perf_counter()
        # the scan reads the points only: through the cut-down typing query
        points = dataclasses.replace(p, select=p.points, params=p.point_params)
        found = quality.scan_file(con, points, staged.rows, batch_rows, mapping.crs, area, rules,
                                  quality.known_points(con) if rules.detect else ())
        summary.phases["placeholders"] += time.perf_counter() - t0
    summary.placeholders = quality.file_tallies(found)
    rejects = staged.rejects.sort_values("line", kind="stable")
    limit = (now or store_now(con)) + timedelta(minutes=FUTURE_SLACK_MINUTES)
    floor = earliest_time(mapping.rules.get("earliest") or earliest)
    if spec.single_batch:  # derived keys number rows over the whole file
        batch_rows = max(batch_rows, staged.rows)
    starts = list(range(0, staged.rows, batch_rows)) or [0]
    # a file of several batches refreshes its summaries once, after its last batch; a
    # replacing load once, after its deletions, in its one transaction
    defer = len(starts) > 1 or replacing
    mapping_sha = mapping.sha256
    bar = tqdm(total=staged.rows + len(rejects), disable=not progress, unit="行",
               unit_scale=True, desc=f"{spec.name} {name}"[:40], dynamic_ncols=True)
    prev_last = 0
    for no, lo in enumerate(starts, start=1):
        hi = min(lo + batch_rows, staged.rows)
        last_batch = no == len(starts)
        lines = con.execute("SELECT min(_line), max(_line) FROM ingest_raw "
                            "WHERE _r >= $lo AND _r < $hi", {"lo": lo, "hi": hi}).fetchall()[0]
        first_line, last_line = (int(lines[0]), int(lines[1])) if lines[0] is not None \
            else (0, 0)
        mine = rejects[(rejects["line"] > prev_last) &
                       ((rejects["line"] <= last_line) | last_batch)]
        if len(mine):
            first_line = min(first_line or int(mine["line"].min()), int(mine["line"].min()))
            last_line = max(last_line, int(mine["line"].max()))
        prev_last = last_line
        rows_in = (hi - lo) + len(mine)
        done = not replacing and con.execute(sql(Q.INGEST_BATCH_DONE), {
            "kind": spec.name, "sha": sha, "mapping": mapping_sha, "rules": RULES_VERSION,
            "batch_no": no, "first_line": first_line, "rows_in": rows_in}).fetchall()[0][0]
        if done:
            summary.rows_in += rows_in
            summary.skipped += rows_in
            bar.update(rows_in)
            continue
        batch = _batch(con, spec, p, staged, mine, lo=lo, hi=hi, area=area, limit=limit,
                       floor=floor,
                       name=name, sha=sha, no=no, first_line=first_line, last_line=last_line,
                       via=via, mapping=mapping, defer=defer, replacing=replacing,
                       mapping_sha=mapping_sha, found=found, tallies=summary.placeholders)
        batch.placeholders = {}  # counted into summary.placeholders by the batch itself
        summary.add(batch)
        bar.update(rows_in)
    bar.close()
    return summary


def _stage_values(con, mapping: Mapping) -> None:
    rows = [(f, s, d) for f, m in mapping.values.items() for s, d in m.items()]
    frame = pd.DataFrame(rows, columns=["field", "src", "dst"], dtype=object)
    con.register("ingest_values_frame", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE ingest_values AS "
                    "SELECT CAST(field AS VARCHAR) AS field, CAST(src AS VARCHAR) AS src, "
                    "CAST(dst AS VARCHAR) AS dst FROM ingest_values_frame")
    finally:
        con.unregister("ingest_values_frame")


def _add_unknown(con, spec: Kind, mapping: Mapping) -> dict[str, list[str]]:
    """Add the vocabulary values of the batch's good rows that the store's lists lack
    (``[taxonomy] add_unknown``), inside the batch's transaction, before the rows are
    cleaned (an added category's time limit is read there). Returns vocabulary → added."""
    added = {}
    for name in mapping.add_unknown:
        vocab = spec.vocab[name]
        rows = con.execute(sql(Q.INGEST_UNKNOWN_VALUES, field=name)).df()
        if vocab == "category" and mapping.taxonomy.get("category_major"):
            majors = con.execute(sql(Q.INGEST_UNKNOWN_MAJORS)).df()
            rows = rows.merge(majors, on="code", how="left")
        values = taxonomy.add_values(con, vocab, rows, mapping.taxonomy)
        if values:
            added[vocab] = values
    return added


def _batch(con, spec: Kind, p, staged, rejects: pd.DataFrame, *, lo, hi, area, limit, floor,
           name,
           sha, no, first_line, last_line, via, mapping, defer=False, replacing=False,
           mapping_sha="", found=None, tallies=None) -> LoadSummary:
    """One batch, in a transaction of its own (or, ``replacing``, in the caller's)."""
    out = LoadSummary(kind=spec.name, batches=1, tz_assumed=p.tz_assumed)
    started_at = store_now(con)
    clock = [time.perf_counter()]

    def lap(phase: str) -> None:
        now = time.perf_counter()
        out.phases[phase] += now - clock[0]
        clock[0] = now

    if not replacing:
        con.execute("BEGIN TRANSACTION")
    try:
        batch_id = int(con.execute("SELECT coalesce(max(id), 0) + 1 FROM import_batches")
                       .fetchall()[0][0])
        script(con, Q.INGEST_MACROS)
        bounds = {**p.params, "lo": lo, "hi": hi}
        if spec.key_query:  # derived keys complete the typed rows: materialise them
            con.execute(p.sql, bounds)
            script(con, spec.key_query)
            typed, bounds = "ingest_typed", {}
            points, point_bounds = typed, {}
        else:  # typed and checked in one statement (the wide typed rows are not stored)
            typed = f"({p.select})"
            points = f"({p.points})"
            point_bounds = {**p.point_params, "lo": lo, "hi": hi}
        lap("type")
        if spec.point:
            # only the points and a hash of the key are read (DuckDB drops the typing
            # query's other columns: the times are not parsed here)
            cols = con.execute(f"SELECT t._r, coalesce(t.lon, CAST('NaN' AS DOUBLE)) AS lon, "
                               f"coalesce(t.lat, CAST('NaN' AS DOUBLE)) AS lat, "
                               f"t.grid_code IS NOT NULL AS g, {key_hash_sql(spec)} "
                               f"FROM {points} AS t", point_bounds).fetchnumpy()
            kh = np.sort(np.asarray(cols["_kh"], dtype=np.uint64)[
                np.asarray(cols["_kc"], dtype=bool)])
            unique = not (kh[1:] == kh[:-1]).any()
            lon = np.asarray(cols["lon"], dtype=float)
            lat = np.asarray(cols["lat"], dtype=float)
            geo = geo_check(lon, lat, np.asarray(cols["g"], dtype=bool), mapping, area)
            geo["_pq"] = (found.keys(geo["_lon"].to_numpy(), geo["_lat"].to_numpy())
                          if found else np.full(len(geo), None, dtype=object))
            geo["_r"] = np.asarray(cols["_r"], dtype=np.int64)
            con.register("ingest_geo", geo)
            lap("crs+pip")
        try:
            if not spec.point:
                unique = con.execute(keys_unique_sql(spec, typed), bounds).fetchall()[0][0]
            con.execute(checked_sql(spec, p.present, p.parsed, unique,
                                    frozenset(mapping.add_unknown), typed),
                        {**bounds, "now": limit, "earliest": floor})
        finally:
            if spec.point:
                con.unregister("ingest_geo")
        if mapping.add_unknown:
            out.added = _add_unknown(con, spec, mapping)
        lap("validate")
        script(con, Q.INGEST_CLEAN[spec.name])
        script(con, Q.INGEST_DIFF[spec.name])
        ops = dict(con.execute("SELECT op, count(*) FROM ingest_diff GROUP BY op").fetchall())
        out.inserted, out.updated = ops.get("insert", 0), ops.get("update", 0)
        out.unchanged = ops.get("same", 0)
        changed = out.inserted + out.updated
        touched = bool(spec.summaries) and changed > 0
        # a batch that changes more than half the rows its table will hold is a bulk load:
        # a full refresh is cheaper than any key-by-key one, and its keys are not needed
        stored = con.execute(f"SELECT count(*) FROM {spec.table}").fetchall()[0][0]
        bulk = touched and spec.name not in STANDALONE \
            and changed > FULL_REFRESH_SHARE * (stored + out.inserted)
        # only new records, nothing pending from earlier batches: add their contributions
        additive = touched and not bulk and not out.updated and spec.name in ADDITIVE \
            and not con.execute("SELECT count(*) FROM import_pending").fetchall()[0][0]
        keys = touched and not bulk and not additive \
            and not (defer and full_refresh_pending(con))
        if keys:
            con.execute("CREATE OR REPLACE TEMP TABLE ingest_touched (grid_code VARCHAR, "
                        "day DATE, kind VARCHAR, updated BOOLEAN)")
            if out.updated:  # the old versions' keys, before the write replaces them
                script(con, Q.INGEST_TOUCHED[spec.name])
        script(con, Q.INGEST_WRITE[spec.name], batch=batch_id)
        if replacing and out.unchanged:
            script(con, Q.INGEST_RETAG[spec.name], batch=batch_id)
        if keys:
            script(con, Q.INGEST_TOUCHED[spec.name])
        lap("upsert")
        if additive:
            out.summaries = refresh_additive(con)
            lap("summaries")
        elif touched and defer:
            if bulk:
                mark_full_refresh(con)
            elif keys:
                defer_incremental(con)
            out.deferred = True
            lap("summaries")
        elif touched:
            out.summaries = "full" if bulk else refresh_incremental(con, batch=True)
            if bulk:  # the other kinds' grid-level tables are current: kept
                refresh_summaries(con, transaction=False, kinds=(spec.name,))
            lap("summaries")
        if spec.point:
            out.outside_grid = con.execute(
                "SELECT count(*) FROM ingest_clean WHERE grid_code = ''").fetchall()[0][0]
        rules = con.execute("SELECT _rule, count(*) FROM ingest_checked "
                            "WHERE _rule IS NOT NULL GROUP BY _rule").fetchall()
        out.by_rule.update({r: int(n) for r, n in rules})
        con.execute(
            "INSERT INTO quarantine SELECT $batch, $kind, $file, c._line, c._rule, c._col, "
            f"c._val, {p.record_sql} FROM ingest_checked AS c "
            "JOIN ingest_raw AS r ON r._r = c._r WHERE c._rule IS NOT NULL ORDER BY c._line",
            {"batch": batch_id, "kind": spec.name, "file": name, **p.record_params})
        if len(rejects):
            con.register("ingest_rejected", rejects)
            try:
                con.execute("INSERT INTO quarantine SELECT $batch, $kind, $file, line, rule, "
                            "field, value, NULL FROM ingest_rejected",
                            {"batch": batch_id, "kind": spec.name, "file": name})
            finally:
                con.unregister("ingest_rejected")
            out.by_rule.update(rejects["rule"].value_counts().to_dict())
        out.quarantined = sum(out.by_rule.values())
        out.rows_in = (hi - lo) + len(rejects)
        out.tz_offset, out.tz_naive = (int(n) for n in
                                       con.execute(tz_counts_sql(p)).fetchall()[0])
        run(con, Q.INGEST_LOG_BATCH, id=batch_id, kind=spec.name, file=name, sha=sha,
            mapping=mapping_sha, rules=RULES_VERSION, batch_no=no, first_line=first_line,
            last_line=last_line, rows_in=out.rows_in, inserted=out.inserted,
            updated=out.updated, unchanged=out.unchanged, quarantined=out.quarantined,
            outside_grid=out.outside_grid, via=via, started_at=started_at,
            finished_at=store_now(con), tz_offset=out.tz_offset, tz_naive=out.tz_naive,
            tz_assumed=p.tz_assumed)
        if spec.point:
            flagged, placed = quality.log_batch(
                con, batch_id, spec.name, name, found or quality.Placeholders(),
                tallies if tallies is not None else {}, _level_label(con))
            if spec.name == "incidents":
                out.no_deadline = con.execute(
                    "SELECT count(*) FROM ingest_clean WHERE registered_at IS NOT NULL "
                    "AND deadline_at IS NULL").fetchall()[0][0]
            run(con, Q.INGEST_LOG_QUALITY, id=batch_id, placeholder_rows=flagged,
                placed_rows=placed, no_deadline=out.no_deadline)
        if not out.balanced():
            raise RuntimeError(f"batch {no} of {name}: rows in {out.rows_in} != loaded "
                               f"{out.loaded} + quarantined {out.quarantined}")
        if not replacing:
            con.execute("COMMIT")
        lap("quarantine+log+commit")
    except BaseException:
        if not replacing:
            con.execute("ROLLBACK")
        raise
    return out


def _level_label(con):
    """Code length -> the store's name of that level (placed by ward, by grid …)."""
    from dashboard import levels

    lv = levels.of(con)
    return lambda length: lv.label(length)
