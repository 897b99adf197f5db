"""Rate limits in the accounts database (dashboard/auth/ratelimit.py): what two worker
processes of one server count together, on a moved clock."""

from __future__ import annotations

import multiprocessing

from limits import parse
from limits.strategies import MovingWindowRateLimiter

from dashboard.auth.ratelimit import SqliteStorage


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_two_limiters_on_one_file_share_the_window_and_it_moves(tmp_path):
    clock = Clock()
    path = tmp_path / "auth.sqlite"
    # two workers of one server: the same file, the same namespace
    a = MovingWindowRateLimiter(SqliteStorage(path, namespace="srv", clock=clock))
    b = MovingWindowRateLimiter(SqliteStorage(path, namespace="srv", clock=clock))
    other = MovingWindowRateLimiter(SqliteStorage(path, namespace="other", clock=clock))
    limit = parse("3/minute")
    assert [a.hit(limit, "login", "x"), b.hit(limit, "login", "x"), a.hit(limit, "login", "x")] \
        == [True, True, True]
    assert not b.hit(limit, "login", "x") and not b.test(limit, "login", "x")
    assert b.hit(limit, "login", "y")  # another key has its own window
    assert other.hit(limit, "login", "x")  # another server counts apart
    clock.t += 30
    assert not a.hit(limit, "login", "x")
    clock.t += 31  # the three hits are older than a minute now
    assert a.test(limit, "login", "x") and a.hit(limit, "login", "x")
    # rows older than their window are gone once a hit arrives
    with SqliteStorage(path)._connect() as con:
        n = con.execute("SELECT count(*) FROM rate_hits WHERE at < ?",
                        (clock.t - 60,)).fetchone()[0]
    assert n == 0


def _hammer(path, n, out):
    limiter = MovingWindowRateLimiter(SqliteStorage(path, namespace="srv"))
    limit = parse("50/hour")
    out.put(sum(limiter.hit(limit, "cb", "s") for _ in range(n)))


def test_processes_hitting_at_once_never_take_more_than_the_limit(tmp_path):
    path = tmp_path / "auth.sqlite"
    SqliteStorage(path)  # schema
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(path, 40, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert sum(out.get(timeout=5) for _ in procs) == 50  # 120 tries, 50 admitted
