"""The 通报 schedule: generate and archive last month's reports on day 1 (docs/reports.md).

Two ways to run it, one function (:func:`run_month`):

- cron: ``gridcmd report --all --level county --month 2026-10`` (one line per level);
- the server: with ``report_levels`` set, every gunicorn worker starts an APScheduler 3
  ``BackgroundScheduler`` (:func:`start`, from gunicorn's ``post_worker_init`` hook, so no
  thread exists before the fork) with one cron job: day 1 of each month at
  ``report_hour``:05 in the store's time zone, plus one catch-up run when the worker starts
  (a server that was down on day 1 still makes the month's reports).

Exactly one run at a time across the workers: a run first takes an exclusive,
non-blocking ``flock`` on ``<archive>/schedule.lock``; a worker that finds it taken returns
at once. A run skips every region whose month is archived already (at any as-of), so the
workers that fire after the first one, and every catch-up run, find nothing to do. The
lock is released by the kernel when its process dies, so a killed worker never blocks
the schedule.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from dashboard.report.archive import Archive, Outcome, generate_all

LOCK = "schedule.lock"
MINUTE = 5  # past report_hour: after midnight's imports and summary refreshes
LEVELS = ("city", "county", "town", "village")

log = logging.getLogger(__name__)


def parse_levels(text: str) -> tuple[str, ...]:
    """``"county, town"`` → ``('county', 'town')``; ValueError naming an unknown level."""
    out: list[str] = []
    for part in (text or "").split(","):
        level = part.strip().lower()
        if not level:
            continue
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}: expected {', '.join(LEVELS)}")
        if level not in out:
            out.append(level)
    return tuple(out)


def previous_month(today: date) -> date:
    """First day of the month before ``today``'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@contextlib.contextmanager
def exclusive(archive: Archive) -> Iterator[bool]:
    """Yield True while holding the archive's schedule lock, False when another process
    holds it (nothing waits)."""
    archive.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(archive.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def run_month(con, archive: Archive, levels, month: date, *, now: datetime, formats,
              ontime: str) -> list[Outcome] | None:
    """Generate the 通报 of ``month`` for every region of ``levels`` that has none archived,
    as of ``now``, under the schedule lock. None when another process holds the lock."""
    with exclusive(archive) as mine:
        if not mine:
            return None
        out: list[Outcome] = []
        for level in levels:
            out += generate_all(con, archive, level, month, as_of=now, now=now,
                                formats=formats, ontime=ontime, origin="schedule",
                                skip_archived=True)
        return out


def scheduled_run(store, settings) -> list[Outcome] | None:
    """One run of the server's schedule: last month (by the store's clock)."""
    from dashboard.clock import store_now

    levels = parse_levels(settings.report_levels)
    if not levels:
        return []
    archive = Archive.beside(settings.store, settings.report_archive or None)
    con = store.cursor()  # this thread's cursor on the app's store (kept open by it)
    now = store_now(con)
    out = run_month(con, archive, levels, previous_month(now.date()), now=now,
                    formats=parse_formats(settings.report_formats),
                    ontime=settings.kpi_ontime)
    if out is not None:
        made = sum(o.status == "made" for o in out)
        log.warning("通报 schedule: %d made, %d already archived, %d without data", made,
                    sum(o.status == "skipped" for o in out),
                    sum(o.status == "nodata" for o in out))
    return out


def parse_formats(text: str) -> tuple[str, ...]:
    from dashboard.report.archive import _formats

    return tuple(_formats(p.strip().lower() for p in (text or "").split(",") if p.strip()))


def _guarded(store, settings) -> None:
    try:
        scheduled_run(store, settings)
    except Exception:  # a scheduler thread must not die; the next run tries again
        log.exception("通报 schedule run failed")


def start(store, settings, *, catch_up: bool = True):
    """Start this process's scheduler (None when ``report_levels`` is empty).

    Returns the ``BackgroundScheduler`` (daemon thread; ``shutdown()`` stops it)."""
    if not parse_levels(settings.report_levels):
        return None
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    from dashboard.clock import store_zone

    zone = store_zone(store.cursor())
    scheduler = BackgroundScheduler(daemon=True, timezone=zone)
    scheduler.add_job(_guarded, CronTrigger(day=1, hour=settings.report_hour, minute=MINUTE,
                                            timezone=zone),
                      args=(store, settings), id="report-monthly", coalesce=True,
                      max_instances=1, misfire_grace_time=3600)
    if catch_up:
        scheduler.add_job(_guarded, args=(store, settings), id="report-catch-up")
    scheduler.start()
    return scheduler
