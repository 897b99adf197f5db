"""Warm the caches again when the store version changes (live intake, docs/deploy.md).

Every query result and page value is keyed by the store version (:mod:`dashboard.pagememo`),
so a committed batch leaves every cache of every worker cold: the next request of each
screen, drill step and analysis page computes its page again while the user waits, and
with a batch every few seconds most requests are such first ones.

A :class:`Rewarmer` keeps, per process, the recent callback requests of the read-only
callbacks that asked for it (:func:`allow`: the overview's map, league, panels and
at-risk pane, the analysis pages' main callback but the person list's, the case list's
facets and table) with the user who made them. When a request finds a store
version newer than the last one seen, a background thread replays those requests against
the new version, the most asked for first, so the page values and query results of the new
version are computed before (or while) their users ask again. Nothing is served stale:
the new version is read at once, as before; only who computes it first changes.

A replay is an in-process request (Flask's test client) that carries its user in the WSGI
environ key :data:`REPLAY_USER`, which no HTTP client can set (request headers arrive as
``HTTP_*`` keys). The guard (``auth/guard.py``) takes that user instead of a session
cookie, does not count the replay against the session's rate limit nor as activity, and
still checks the callback's page roles; the jurisdiction is enforced below, in the scoped
queries, as for any request. Replays are never recorded themselves, and their answers are
dropped: they only fill the caches, keyed by who asks as always.

A replay only uses time the process would spend idle: before each one the round waits
until no request of a user is under way in this process, so under load (when every core
is taken by the users' own requests) it replays little or nothing and the users' requests
compute their pages as before. Only requests asked at least :data:`MIN_COUNT` times
recently are replayed (a screen's refresh, a drill step several leaders take, an analysis
page opened again), so a look nobody repeats costs no second computation. A round stops
when every such request is replayed, when ``rewarm_seconds`` have passed, or when a newer
version arrives (the next round starts on that one). Requests older than
``rewarm_recent_seconds`` are forgotten.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

log = logging.getLogger(__name__)

REPLAY_USER = "gridcmd.replay_user"
"""The WSGI environ key of a replay's user (set only by :meth:`Rewarmer.replay`)."""
CALLBACK_PATH = "/_dash-update-component"
MAX_REQUESTS = 256  # distinct recent requests kept per process
MIN_COUNT = 2  # a request is replayed once it was asked this often within the recent window
IDLE_POLL = 0.02  # seconds between two looks for an idle moment
EXTENSION = "gridcmd_rewarm"


@dataclass
class _Seen:
    body: bytes
    user: object
    lang: str | None
    count: int
    last: float


def allow(server, *output_ids: str) -> None:
    """Let the callbacks with an output of these component ids be replayed: only callbacks
    that read (no write, no audit entry) may be named."""
    server.config.setdefault("GRIDCMD_REWARM_OUTPUTS", set()).update(output_ids)


def rewarmer_of(server) -> Rewarmer | None:
    return server.extensions.get(EXTENSION)


class Rewarmer:
    """The recent read callbacks of one process, replayed on each new store version.

    Parameters
    ----------
    server : flask.Flask
        The app whose callbacks are replayed.
    seconds : float
        Longest round (``Settings.rewarm_seconds``).
    recent_seconds : float
        Requests older than this are not replayed (``Settings.rewarm_recent_seconds``).
    """

    def __init__(self, server, seconds: float, recent_seconds: float):
        self.server = server
        self.seconds = seconds
        self.recent_seconds = recent_seconds
        self._seen: OrderedDict[tuple, _Seen] = OrderedDict()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._version: str | None = None  # the newest version a request read
        self._target: str | None = None  # the version waiting for a round
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._busy = 0  # users' requests under way in this process
        # what the rounds did (tests and logs read them)
        self.rounds = 0
        self.replayed = 0
        self.failed = 0
        self.idle = threading.Event()  # set while no round runs
        self.idle.set()

    # --- what requests tell it ---------------------------------------------------------

    def allowed(self, output: object) -> bool:
        from dashboard.auth.policy import output_ids

        wanted = self.server.config.get("GRIDCMD_REWARM_OUTPUTS", ())
        found = output_ids(output) or ()
        return any(i in wanted for i in found)

    def record(self, body: bytes, output: object, user, lang: str | None) -> None:
        """Remember a callback request that was answered 200 (a read callback's only)."""
        if not self.allowed(output):
            return
        key = (getattr(user, "username", None), body, lang)
        now = time.monotonic()
        with self._lock:
            seen = self._seen.pop(key, None)
            if seen is None:
                seen = _Seen(body, user, lang, 0, now)
            seen.count += 1
            seen.last = now
            self._seen[key] = seen
            while len(self._seen) > MAX_REQUESTS:
                self._seen.popitem(last=False)

    def began(self) -> None:
        with self._lock:
            self._busy += 1

    def ended(self) -> None:
        with self._lock:
            self._busy -= 1

    def wait_idle(self, deadline: float) -> bool:
        """Wait until no user's request is under way here; False at ``deadline`` or when a
        newer version arrived meanwhile."""
        while True:
            if time.monotonic() >= deadline or self._target is not None:
                return False
            if self._busy == 0:
                return True
            time.sleep(IDLE_POLL)

    def saw(self, version: str | None) -> None:
        """A request reads ``version``: a newer one than the last starts a round."""
        if version is None or version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            first = self._version is None
            self._version = version
            if first:
                return  # this process's first version: there is nothing to warm again
            self._target = version
            self.idle.clear()
            self._start()
            self._wake.notify()

    # --- the rounds ---------------------------------------------------------------------

    def _start(self) -> None:
        # after a fork the thread of the parent is not in this process
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="gridcmd-rewarm",
                                            daemon=True)
            self._thread.start()

    def pending(self) -> list[_Seen]:
        """The requests a round replays: the recent ones asked at least :data:`MIN_COUNT`
        times, the most asked for first."""
        cutoff = time.monotonic() - self.recent_seconds
        with self._lock:
            recent = [s for s in self._seen.values()
                      if s.last >= cutoff and s.count >= MIN_COUNT]
        return sorted(recent, key=lambda s: (-s.count, -s.last))

    def _loop(self) -> None:
        while True:
            with self._lock:
                while self._target is None:
                    self.idle.set()
                    self._wake.wait()
                version, self._target = self._target, None
            try:
                self._round(version)
            except Exception:  # a round must never take the thread down
                log.exception("warming the caches again failed")

    def _round(self, version: str) -> None:
        started = time.monotonic()
        deadline = started + self.seconds
        done = 0
        for seen in self.pending():
            # users first; a newer version (its round follows) or the round's time up ends it
            if not self.wait_idle(deadline):
                break
            if self.replay(seen):
                done += 1
        self.rounds += 1
        self.replayed += done
        log.info("warmed %d requests for store version %s in %.2f s", done, version,
                 time.monotonic() - started)

    def replay(self, seen: _Seen) -> bool:
        """Post one recorded request again as its user; its answer is dropped."""
        headers = {"Origin": "http://localhost", "Content-Type": "application/json"}
        if seen.lang:
            from dashboard.i18n import COOKIE as LANG_COOKIE

            headers["Cookie"] = f"{LANG_COOKIE}={seen.lang}"
        try:
            resp = self.server.test_client().post(
                CALLBACK_PATH, data=seen.body, headers=headers,
                environ_overrides={REPLAY_USER: seen.user})
            resp.close()
            ok = resp.status_code in (200, 204)
        except Exception:
            log.exception("a replayed request failed")
            ok = False
        if not ok:
            self.failed += 1
        return ok


def install(server, settings) -> Rewarmer | None:
    """Record the allowed callbacks' requests of ``server`` and replay them on each new
    store version (after ``pagememo.install``, whose reading block names the version)."""
    if settings.rewarm_seconds <= 0:
        return None
    from flask import g, request

    import queries
    from dashboard.i18n import COOKIE as LANG_COOKIE

    rewarmer = Rewarmer(server, settings.rewarm_seconds, settings.rewarm_recent_seconds)
    server.extensions[EXTENSION] = rewarmer

    @server.before_request
    def _version_seen():
        if REPLAY_USER in request.environ:
            return
        rewarmer.began()
        g._gridcmd_counted = True
        if request.path == CALLBACK_PATH:
            rewarmer.saw(queries.current().version)

    @server.teardown_request
    def _done(_exc):
        if g.pop("_gridcmd_counted", False):
            rewarmer.ended()

    @server.after_request
    def _recorded(response):
        if request.path == CALLBACK_PATH and response.status_code == 200 \
                and REPLAY_USER not in request.environ:
            user = g.get("gridcmd_user")
            body = request.get_json(silent=True, cache=True)
            if user is not None and isinstance(body, dict):
                rewarmer.record(request.get_data(cache=True), body.get("output"), user,
                                request.cookies.get(LANG_COOKIE))
        return response

    return rewarmer
