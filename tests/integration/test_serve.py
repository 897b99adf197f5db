"""``gridcmd serve`` as a real process: it prints its URL and answers on it."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing, contextmanager
from pathlib import Path

import duckdb
from auth_helpers import CITY_LEADER, COUNTY_ANALYST, SCREEN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_url_and_serves_page_and_geometry(demo_store, auth_db):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--store", str(demo_store)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "GRIDCMD_AUTH_DB": str(auth_db)})
    try:
        url = f"http://127.0.0.1:{port}/"
        assert url in proc.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    page = resp.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.3)
        assert "网格指挥舱" in page and "登录" in page  # redirected to the login page
        try:
            urllib.request.urlopen(url + "geo/320600000000.geojson", timeout=10)
            raise AssertionError("geometry served without a session")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        cookie = _login(url, *CITY_LEADER)
        with _open(url, cookie) as resp:
            assert "网格指挥舱" in resp.read().decode()
            assert "Content-Security-Policy" in resp.headers
        with _open(url + "geo/320600000000.geojson", cookie) as resp:
            assert resp.status == 200
            assert b'"FeatureCollection"' in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(url, cookie, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers={"Cookie": cookie,
                                                              **(headers or {})})
    return urllib.request.build_opener(_NoRedirect).open(request, timeout=10)


def _login(url: str, username: str, password: str) -> str:
    """Log in through the form by hand (the session cookie is Secure, which Python's cookie
    jar keeps to HTTPS) and return the Cookie header value of the session."""
    with urllib.request.urlopen(url + "login", timeout=10) as resp:
        form = resp.read().decode()
        csrf_cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token, "next": "/"}).encode()
    try:
        _open(url + "login", csrf_cookie, data, {"Origin": url.rstrip("/")})
        raise AssertionError("login did not redirect")
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.code
        session = [c for c in exc.headers.get_all("Set-Cookie") if "gridcmd_session=" in c]
    return session[0].split(";", 1)[0]


def test_serve_rejects_a_missing_store_when_demo_is_off(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "serve", "--store", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "GRIDCMD_DEMO_ON_START": "false"})
    assert out.returncode == 2
    assert "store not found" in out.stderr


# --- several worker processes (gunicorn, dashboard/serving.py) --------------------------------
#
# Which worker answers a connection is the kernel's choice. To send a request to one worker
# the test stops every other worker (SIGSTOP) for that request: a stopped process does not
# accept, so the one left running answers (the access log names its pid, checked below).


class Workers:
    """A real ``gridcmd serve --workers N`` on loopback, stopped at the end of the block."""

    def __init__(self, tmp_path, store, auth_db, workers=2, **env):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tmp_path / f"access-{self.port}.log"
        self.split = "GRIDCMD_INTAKE_TOKEN" in env
        self.count = workers
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--store", str(store), "--workers", str(workers),
             "--threads", "2", "--access-log", str(self.log)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "GRIDCMD_AUTH_DB": str(auth_db),
                 "GRIDCMD_DEMO_ON_START": "false", **env})

    def __enter__(self):
        try:
            assert self.url in self.proc.stdout.readline()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        everyone = self.children()
        for pid in everyone:
            _signal(pid, signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            for pid in everyone:  # nothing of the server is left running
                _signal(pid, signal.SIGKILL)

    def children(self) -> set[int]:
        """Every process below the arbiter (workers, dirty arbiter, writer)."""
        found, todo = set(), [self.proc.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    kids = {int(k) for k in (task / "children").read_text().split()}
                except OSError:
                    continue
                todo.extend(kids - found)
                found |= kids
        return found

    def dirty_arbiter(self) -> int | None:
        pidfile = Path(tempfile.gettempdir()) / f"gunicorn-dirty-gridcmd-127.0.0.1-{self.port}.pid"
        try:
            return int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def workers(self) -> list[int]:
        """The HTTP workers: the arbiter's children but the dirty arbiter."""
        kids = {int(k) for task in Path(f"/proc/{self.proc.pid}/task").glob("*")
                for k in (task / "children").read_text().split()}
        return sorted(kids - {self.dirty_arbiter()})

    def writer(self) -> int | None:
        """The writer process (the dirty arbiter's one worker)."""
        arbiter = self.dirty_arbiter()
        if arbiter is None:
            return None
        kids = {int(k) for task in Path(f"/proc/{arbiter}/task").glob("*")
                for k in (task / "children").read_text().split()}
        return kids.pop() if len(kids) == 1 else None

    def wait_ready(self):
        deadline = time.monotonic() + 120
        while True:
            assert self.proc.poll() is None, self.proc.stdout.read()
            ready = len(self.workers()) == self.count and \
                (not self.split or (self.dirty_arbiter() in self.children()
                                    and self.writer() is not None))
            if ready:
                try:
                    for pid in self.workers():
                        with self.pinned(pid):
                            urllib.request.urlopen(self.url + "healthz", timeout=10).read()
                    return
                except OSError:
                    pass
            assert time.monotonic() < deadline, "server did not start within 120 s"
            time.sleep(0.3)

    @contextmanager
    def pinned(self, pid: int):
        """Only worker ``pid`` accepts connections inside the block."""
        others = [w for w in self.workers() if w != pid]
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            yield
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)

    def served_by(self, marker: str) -> set[int]:
        """The pids that answered requests whose line holds ``marker`` (access log)."""
        for _ in range(50):  # the log line is written just after the response
            pids = {int(m) for m in re.findall(rf'"[A-Z]+ [^"]*{marker}[^"]*".* pid=<?(\d+)',
                                               self.log.read_text())}
            if pids:
                return pids
            time.sleep(0.1)
        return set()


def _signal(pid: int, sig) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _copy_auth_db(src, dst):
    """A private copy of the session's accounts database (SQLite's backup, WAL included)."""
    import sqlite3

    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst


def _attempt(url: str, username: str, password: str, marker: str) -> tuple[int, str]:
    """One login through the form; (status, page text)."""
    with urllib.request.urlopen(url + f"login?probe={marker}", timeout=10) as resp:
        form = resp.read().decode()
        csrf_cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token, "next": "/"}).encode()
    try:
        with _open(url + f"login?probe={marker}-post", csrf_cookie, data,
                   {"Origin": url.rstrip("/")}) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_workers_share_sessions_rate_limits_kiosk_tokens_and_lockout(demo_store, auth_db,
                                                                     tmp_path):
    from dashboard.auth.store import AuthStore

    accounts = _copy_auth_db(auth_db, tmp_path / "auth.sqlite")
    token = AuthStore(accounts).create_token(SCREEN[0])
    with Workers(tmp_path, demo_store, accounts,
                 GRIDCMD_LOGIN_RATE_LIMIT="3/minute") as server:
        a, b = server.workers()
        url = server.url

        # a session started on one worker is valid on the other
        with server.pinned(a):
            cookie = _login(url, *CITY_LEADER)
        with server.pinned(b), _open(url + "?probe=session-b", cookie) as resp:
            assert resp.status == 200 and "网格指挥舱" in resp.read().decode()
            assert resp.headers.get_all("Server") == ["GridCommand"]
        assert server.served_by("probe=session-b") == {b}

        # the login rate limit (3 failures a minute per address and name) counts the
        # failures of every worker: a per-process count would let the fourth through
        for i, pid in enumerate((a, b, a)):
            with server.pinned(pid):
                status, _ = _attempt(url, "ghost.user", "Wrong-pass-123", f"rl{i}")
            assert status == 401
            assert server.served_by(f"probe=rl{i}-post") == {pid}
        with server.pinned(b):
            status, page = _attempt(url, "ghost.user", "Wrong-pass-123", "rl3")
        assert (status, "登录尝试过于频繁" in page) == (429, True)
        assert server.served_by("probe=rl3-post") == {b}

        # a kiosk token opens a screen session through any worker, and its session is
        # valid on the other
        sessions = {}
        for pid in (a, b):
            with server.pinned(pid):
                try:
                    _open(url + f"kiosk/{token}?probe=kiosk-{pid}", "")
                    raise AssertionError("the kiosk URL did not redirect")
                except urllib.error.HTTPError as exc:
                    assert exc.code == 303
                    sessions[pid] = [c for c in exc.headers.get_all("Set-Cookie")
                                     if "gridcmd_session=" in c][0].split(";", 1)[0]
            assert server.served_by(f"probe=kiosk-{pid}") == {pid}
        for pid, other in ((a, b), (b, a)):
            with server.pinned(other), _open(url + "?kiosk=1", sessions[pid]) as resp:
                assert resp.status == 200

        # lockout: nine failures of a name (their back-off already over), the tenth on one
        # worker locks it, and the other refuses even the right password
        with AuthStore(accounts).raw() as con:
            con.executemany("INSERT INTO login_failures VALUES (?, ?, ?, NULL)",
                            [("county_analyst", 9, "2000-01-01T00:00:00+00:00")])
        with server.pinned(a):
            status, _ = _attempt(url, COUNTY_ANALYST[0], "Wrong-pass-123", "lock-a")
        assert status == 423
        with server.pinned(b):
            status, page = _attempt(url, *COUNTY_ANALYST, "lock-b")
        assert status == 423 and "锁定" in page
        assert server.served_by("probe=lock-b-post") == {b}
    assert not any(Path(f"/proc/{pid}").exists() for pid in (a, b))


# --- live intake under several workers: one writer, published copies -------------------------

INTAKE_TOKEN = "serve-test-token"
DAY = "2026-11-01"  # the day tests.unit.ingest_helpers.incident_rows reports on


def _post_batch(url: str, rows: list) -> tuple[int, dict]:
    req = urllib.request.Request(url + "api/intake/incidents", data=json.dumps(rows).encode(),
                                 method="POST",
                                 headers={"Authorization": f"Bearer {INTAKE_TOKEN}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _case_numbers(url: str, cookie: str, prefix: str) -> list[str]:
    """The case numbers starting with ``prefix`` a worker's case export lists for DAY."""
    with _open(url + f"export/cases.csv?period=custom&from={DAY}&to={DAY}", cookie) as resp:
        assert resp.status == 200
        text = resp.read().decode("utf-8-sig")
    return sorted(row[0] for row in csv.reader(io.StringIO(text))
                  if row and row[0].startswith(prefix))


def _thread_nices(pid: int) -> list[int]:
    """The nice value of every thread of process ``pid``, as the kernel keeps it."""
    return [os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir(f"/proc/{pid}/task")]


def test_workers_with_intake_share_one_writer_and_see_every_batch(demo_store, auth_db,
                                                                   tmp_path):
    from tests.unit.ingest_helpers import copy_store, incident_rows

    store = copy_store(demo_store, tmp_path)
    with duckdb.connect(str(store), read_only=True) as con:
        batches = {f"B{i}": incident_rows(con, 10, prefix=f"B{i}-", seed=i) for i in range(10)}
    accounts = _copy_auth_db(auth_db, tmp_path / "auth.sqlite")
    with Workers(tmp_path, store, accounts, GRIDCMD_INTAKE_TOKEN=INTAKE_TOKEN) as server:
        url = server.url
        a, b = server.workers()
        cookie = _login(url, *CITY_LEADER)

        # a batch taken by one worker is written by the writer process and, once answered,
        # read by every worker at its next look at the published copy (at most
        # Store.VERSION_TTL = 1 s later)
        with server.pinned(a):
            status, out = _post_batch(url, batches["B0"])
        assert (status, out["inserted"]) == (200, 10), out
        # the writer runs at the setting writer_nice (10), every thread of it (DuckDB's
        # too); the workers at the server's own priority
        base = os.getpriority(os.PRIO_PROCESS, 0)
        assert set(_thread_nices(server.writer())) == {max(base, 10)}
        assert set(_thread_nices(a)) == set(_thread_nices(b)) == {base}
        time.sleep(1.0)
        for pid in (a, b):
            with server.pinned(pid):
                assert _case_numbers(url, cookie, "B0-") == \
                    sorted(r["case_no"] for r in batches["B0"])

        # readers on both workers while three batches arrive: every answer is whole batches
        # (a multiple of 10 rows), never a lock error or a failed request
        seen, errors, stop = [], [], threading.Event()

        def reader():
            while not stop.is_set():
                started = time.monotonic()
                try:
                    seen.append((started, len(_case_numbers(url, cookie, "B"))))
                except Exception as exc:  # any failure of a reader counts
                    errors.append(repr(exc))

        readers = [threading.Thread(target=reader) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            for name in ("B1", "B2", "B3"):
                status, out = _post_batch(url, batches[name])
                assert (status, out["inserted"]) == (200, 10), out
            time.sleep(1.0)
            after = time.monotonic()  # reads begun from now on must see all four batches
            while not any(t >= after for t, _ in seen) and not errors:
                time.sleep(0.2)
        finally:
            stop.set()
            for t in readers:
                t.join()
        assert errors == [] and seen, errors
        assert all(n % 10 == 0 for _, n in seen), seen
        assert {n for t, n in seen if t >= after} == {40}, seen

        # kill -9 of the writer just after it answered: the batch is kept, gunicorn starts a
        # new writer, and the next batch goes through it
        status, out = _post_batch(url, batches["B4"])
        assert status == 200, out
        writer = server.writer()
        os.kill(writer, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while server.writer() in (None, writer):  # gunicorn starts another writer
            assert time.monotonic() < deadline, "no new writer"
            time.sleep(0.3)
        while True:
            status, out = _post_batch(url, batches["B5"])
            if status == 200:
                break
            assert status == 503 and time.monotonic() < deadline, out
            time.sleep(0.5)
        assert server.writer() not in (None, writer)

        # batches waiting for a writer that dies are answered 503 "died" within seconds, not
        # at the time limit, and sent again each is stored once. A resend that arrives while
        # the next writer starts (the pid file still naming the dead one) is held back until
        # that writer names itself; sent at once it was answered "died" and stored anyway,
        # or dropped with the dead writer's queue (serving._execute_watched). gunicorn's
        # dirty arbiter answers them itself when it sees the broken connection before it
        # reaps the writer;
        # when it reaps first it drops them unanswered, and the worker's watch on the
        # writer's pid answers (that path: tests/unit/test_serving.py)
        writer = server.writer()
        os.kill(writer, signal.SIGSTOP)  # the batches queue at a writer that cannot read
        answers = {}

        def send(name):
            answers[name] = _post_batch(url, batches[name])

        senders = [threading.Thread(target=send, args=(name,)) for name in ("B8", "B9")]
        for sender in senders:
            sender.start()
            time.sleep(1.0)
        os.kill(writer, signal.SIGKILL)
        for sender in senders:
            sender.join(timeout=60)  # RECORDS_TIMEOUT is 120 s
            assert not sender.is_alive(), "no answer within 60 s of the writer's death"
        for name in ("B8", "B9"):
            status, out = answers[name]
            assert status == 503 and "died" in out["error"], (name, out)
        deadline = time.monotonic() + 120
        for name in ("B8", "B9"):
            while True:
                status, out = _post_batch(url, batches[name])
                if status == 200:
                    break
                assert status == 503 and time.monotonic() < deadline, out
                time.sleep(0.5)
            assert out["inserted"] == 10, out  # the batch had not been stored before

        # kill -9 of a reader: gunicorn starts another, which reads the newest copy
        os.kill(a, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while len(server.workers()) != 2 or a in server.workers():
            assert time.monotonic() < deadline, "no new worker"
            time.sleep(0.3)
        server.wait_ready()
        status, out = _post_batch(url, batches["B6"])
        assert status == 200, out

        # `gridcmd import records` finds the store held (by the writer) and uploads the
        # file to the server, whose worker hands it to the writer
        upload = tmp_path / "cases.csv"
        with upload.open("w", newline="", encoding="utf-8") as fh:
            writer_csv = csv.DictWriter(fh, fieldnames=list(batches["B7"][0]))
            writer_csv.writeheader()
            writer_csv.writerows(batches["B7"])
        cli = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "import", "records", "--kind",
             "incidents", "--store", str(store), str(upload)],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "GRIDCMD_INTAKE_TOKEN": INTAKE_TOKEN,
                 "GRIDCMD_HOST": "127.0.0.1", "GRIDCMD_PORT": str(server.port)})
        assert cli.returncode == 0, cli.stderr
        assert "sent to" in cli.stdout and "loaded 10" in cli.stdout, cli.stdout
        time.sleep(1.0)
        expected = sorted(r["case_no"] for rows in batches.values() for r in rows)
        for pid in server.workers():
            with server.pinned(pid):
                assert _case_numbers(url, cookie, "B") == expected
    # nothing committed was lost: the store file itself holds every batch, and only the
    # writer ever opened it read-write (no second process, no lock error)
    with duckdb.connect(str(store), read_only=True) as con:
        stored = sorted(r[0] for r in con.execute(
            "SELECT case_no FROM incidents WHERE case_no LIKE 'B_-%'").fetchall())
    assert stored == expected
