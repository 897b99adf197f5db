"""The 通报 schedule: generate and archive last month's reports on day 1 and last week's on
Monday (docs/reports.md).

Two ways to run it, one function (:func:`run_period`):

- cron: ``gridcmd report --all --level county --month 2026-10`` and
  ``gridcmd report --all --level town --week 2026-W48`` (one line per level and cadence);
- the server: with ``report_levels`` (monthly) or ``report_week_levels`` (weekly) set,
  every gunicorn worker starts an APScheduler 3 ``BackgroundScheduler`` (:func:`start`,
  from gunicorn's ``post_worker_init`` hook, so no thread exists before the fork) with one
  cron job per cadence: day 1 of each month, and each Monday, at ``report_hour``:05 in the
  store's time zone, plus one catch-up run when the worker starts (a server that was down
  on day 1 or on Monday still makes the period's reports).

Exactly one run at a time across the workers: a run first takes an exclusive,
non-blocking ``flock`` on ``<archive>/schedule.lock``; a worker that finds it taken returns
at once. A run skips every region whose period is archived already (at any as-of), so the
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
from datetime import date, datetime

from dashboard.periods import ReportPeriod, report_period
from dashboard.report.archive import Archive, Outcome, generate_all

LOCK = "schedule.lock"
MINUTE = 5  # past report_hour: after midnight's imports and summary refreshes
LEVELS = ("city", "county", "town", "village")
CADENCES = {"month": "report_levels", "week": "report_week_levels"}
"""Each cadence and the setting that lists its levels."""

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
    return ReportPeriod.previous("month", today).first


def due(settings) -> dict[str, tuple[str, ...]]:
    """The cadences the settings schedule, with their levels: ``{'month': ('county',),
    'week': ('county', 'town')}`` (empty: no schedule)."""
    out = {}
    for kind, name in CADENCES.items():
        levels = parse_levels(getattr(settings, name, ""))
        if levels:
            out[kind] = levels
    return out


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


def run_period(con, archive: Archive, levels, period, *, now: datetime, formats,
               ontime: str) -> list[Outcome] | None:
    """Generate the 通报 of ``period`` (a month or a week, as
    :func:`dashboard.periods.report_period` takes it) for every region of ``levels`` that
    has none archived, as of ``now``, under the schedule lock. None when another process
    holds the lock."""
    with exclusive(archive) as mine:
        if not mine:
            return None
        out: list[Outcome] = []
        for level in levels:
            out += generate_all(con, archive, level, period, as_of=now, now=now,
                                formats=formats, ontime=ontime, origin="schedule",
                                skip_archived=True)
        return out


def run_month(con, archive: Archive, levels, month: date, *, now: datetime, formats,
              ontime: str) -> list[Outcome] | None:
    """:func:`run_period` of a month (``month``: any day of it)."""
    return run_period(con, archive, levels, report_period(month, "month"), now=now,
                      formats=formats, ontime=ontime)


def scheduled_run(store, settings, kinds=tuple(CADENCES)) -> list[Outcome] | None:
    """One run of the server's schedule: last month and last week (by the store's clock),
    of the cadences among ``kinds`` the settings schedule. None when another process held
    the lock."""
    from dashboard.clock import store_now

    cadences = {k: v for k, v in due(settings).items() if k in kinds}
    if not cadences:
        return []
    archive = Archive.beside(settings.store, settings.report_archive or None)
    con = store.cursor()  # this thread's cursor on the app's store (kept open by it)
    now = store_now(con)
    out: list[Outcome] = []
    for kind, levels in cadences.items():
        period = ReportPeriod.previous(kind, now.date())
        got = run_period(con, archive, levels, period, now=now,
                         formats=parse_formats(settings.report_formats),
                         ontime=settings.kpi_ontime)
        if got is None:
            return None
        log.warning("通报 schedule %s: %d made, %d already archived, %d without data",
                    period.label, sum(o.status == "made" for o in got),
                    sum(o.status == "skipped" for o in got),
                    sum(o.status == "nodata" for o in got))
        out += got
    return out


def parse_formats(text: str) -> tuple[str, ...]:
    from dashboard.report.archive import _formats

    return tuple(_formats(p.strip().lower() for p in (text or "").split(",") if p.strip()))


def _guarded(store, settings, kinds=tuple(CADENCES)) -> None:
    try:
        scheduled_run(store, settings, kinds)
    except Exception:  # a scheduler thread must not die; the next run tries again
        log.exception("通报 schedule run failed")


def start(store, settings, *, catch_up: bool = True):
    """Start this process's scheduler (None when no cadence is scheduled: ``report_levels``
    and ``report_week_levels`` empty).

    Returns the ``BackgroundScheduler`` (daemon thread; ``shutdown()`` stops it)."""
    cadences = due(settings)
    if not cadences:
        return None
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    from dashboard.clock import store_zone

    zone = store_zone(store.cursor())
    scheduler = BackgroundScheduler(daemon=True, timezone=zone)
    when = {"month": {"day": 1}, "week": {"day_of_week": "mon"}}
    for kind in cadences:
        scheduler.add_job(_guarded, CronTrigger(hour=settings.report_hour, minute=MINUTE,
                                                timezone=zone, **when[kind]),
                          args=(store, settings, (kind,)), id=f"report-{kind}ly",
                          coalesce=True, max_instances=1, misfire_grace_time=3600)
    if catch_up:
        scheduler.add_job(_guarded, args=(store, settings), id="report-catch-up")
    scheduler.start()
    return scheduler
