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

One scheduler across the workers: every worker runs a small campaign thread
(:class:`Campaign`) that tries an exclusive, non-blocking ``flock`` on
``<archive>/scheduler.lock`` every ``RETRY_SECONDS``; the one that holds it runs the
APScheduler and keeps the lock for its life, the others keep trying. When the leader dies
(a restart, ``kill -9``), the kernel drops its lock and another worker takes over within a
minute; its catch-up run makes whatever the leader had not made yet.

And exactly one run at a time (the cron path too): a run first takes an exclusive,
non-blocking ``flock`` on ``<archive>/schedule.lock``; a process that finds it taken returns
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
import threading
from collections.abc import Iterator
from datetime import date, datetime

from dashboard.periods import ReportPeriod, report_period
from dashboard.report.archive import Archive, Outcome, generate_all

LOCK = "schedule.lock"
LEADER = "scheduler.lock"
RETRY_SECONDS = 60.0
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


def _scheduler(store, settings, cadences, catch_up: bool):
    """The APScheduler of the leading process: one cron job per cadence, and a catch-up."""
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


class Campaign:
    """This process's bid to run the one scheduler (module docstring): a daemon thread
    that takes ``<archive>/scheduler.lock`` when it can and then starts the APScheduler.

    Attributes
    ----------
    leading : threading.Event
        Set once this process holds the lock and its scheduler runs.
    scheduler
        The ``BackgroundScheduler`` while leading, else None.
    """

    def __init__(self, store, settings, cadences, *, catch_up: bool = True,
                 retry: float = RETRY_SECONDS):
        self.archive = Archive.beside(settings.store, settings.report_archive or None)
        self.leading = threading.Event()
        self.scheduler = None
        self._stop = threading.Event()
        self._fd = None
        self._args = (store, settings, cadences, catch_up)
        self._retry = retry
        self.thread = threading.Thread(target=self._run, name="gridcmd-report-campaign",
                                       daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.archive.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.archive.root / LEADER, os.O_RDWR | os.O_CREAT, 0o644)
        while not self._stop.is_set():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._stop.wait(self._retry)
                continue
            self._fd = fd  # held for the process's life: the kernel drops it when it dies
            try:
                self.scheduler = _scheduler(*self._args)
            except Exception:
                log.exception("通报 scheduler failed to start")
                fcntl.flock(fd, fcntl.LOCK_UN)
                self._fd = None
                self._stop.wait(self._retry)
                continue
            log.warning("通报 scheduler runs in process %d", os.getpid())
            self.leading.set()
            return
        os.close(fd)

    def stop(self) -> None:
        """Stop campaigning; a leader shuts its scheduler down and gives up the lock."""
        self._stop.set()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self.leading.clear()


def start(store, settings, *, catch_up: bool = True, retry: float = RETRY_SECONDS
          ) -> Campaign | None:
    """Start this process's :class:`Campaign` for the one scheduler across the workers
    (None when no cadence is scheduled: ``report_levels`` and ``report_week_levels``
    empty)."""
    cadences = due(settings)
    if not cadences:
        return None
    return Campaign(store, settings, cadences, catch_up=catch_up, retry=retry)
