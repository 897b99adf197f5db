"""Live intake: ``POST /api/intake/<kind>`` takes JSON batches while the dashboard serves.

DuckDB allows one read-write process or many read-only processes on a file, never both,
so a second process cannot write while the server holds the store. The serving process is
therefore the single writer (docs/ingest.md): with ``intake_token`` set, its store is
opened read-write, the dashboard's readers keep their per-thread cursors (each query sees
the last committed state, never half a batch), and every write goes through this endpoint
on one serialised writer cursor, with the same validation, quarantine and batch log as the
command line. ``gridcmd import`` finds the store locked by the server and uploads its files
to ``POST /api/intake/<kind>/file`` instead of failing.

Authentication is a bearer token compared in constant time; the login/session layer
exempts ``/api/intake/`` so upstream systems need no browser session.

Under several worker processes (``gridcmd serve --workers N``, docs/deploy.md) the routes
stay the same but the write is not this process's: ``register(..., writer=...)`` hands each
checked batch to the one writer process (:mod:`dashboard.serving`), which runs
:meth:`Intake.write_records` / :meth:`Intake.write_file` there.
"""

from __future__ import annotations

import hmac
import threading
import uuid
from pathlib import Path

import orjson
from flask import Response, request

from dashboard.foresight.run import Rescorer, refit_in_background
from dashboard.http import json_error as _error
from dashboard.http import json_response as _json
from dashboard.ingest import readers
from dashboard.ingest.kinds import KINDS
from dashboard.ingest.load import load_files, load_records, store_area
from dashboard.ingest.mapping import Mapping, MappingError

PREFIX = "/api/intake/"
CLOSE_WAIT = 120.0  # seconds a closing store waits for the rescoring round under way
STORE_HEADER = "X-Gridcmd-Store-Id"  # the store a client means; 409 when it is another


class IntakeRejected(ValueError):
    """A batch or file the loader refuses as a whole (answered 400, nothing stored)."""


class WriterUnavailable(RuntimeError):
    """The writer process cannot take the batch now (answered 503: send it again)."""


class Intake:
    """The endpoint's state: settings, the store and a cached grid index; and the writes
    themselves (:meth:`write_records`, :meth:`write_file`), run by the process that holds
    the store read-write."""

    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self._area = None
        self._grids = None
        self._store_id = None
        self._lock = threading.Lock()
        # after a write of its own (a rescoring round, a refit) the writer process publishes
        # the store again; None in one process, whose readers see every commit
        self.after_background_write = None
        self._rescorer: Rescorer | None = None

    def refit_later(self) -> None:
        """A due at-risk refit, off the batch's write path (docs/foresight.md)."""
        refit_in_background(self.store, self.settings.foresight_refit_days,
                            done=self.after_background_write)

    @property
    def rescorer(self) -> Rescorer:
        """The store's at-risk rescoring and surge detection after batches, in the
        background (:class:`dashboard.foresight.run.Rescorer`)."""
        with self._lock:
            if self._rescorer is None:
                self._rescorer = Rescorer(
                    self.store, self.settings.foresight_refit_days,
                    self.settings.surge_q_level, refit_later=self.refit_later,
                    done=self._background_wrote)
                rescorer = self._rescorer
                self.store.before_close(lambda: rescorer.close(timeout=CLOSE_WAIT))
            return self._rescorer

    def _background_wrote(self) -> None:
        if self.after_background_write is not None:
            self.after_background_write()

    def _followed(self, kind: str, summary) -> dict:
        """The batch's answer; a batch that wrote incidents is rescored after it (the
        answer says ``"rescoring": "queued"``: the at-risk queue and surge alerts follow
        within seconds, docs/foresight.md)."""
        out = summary.as_dict()
        if kind == "incidents" and summary.loaded:
            self.rescorer.ask()
            out["rescoring"] = "queued"
        return out

    def area(self, con):
        """The point-in-polygon index, rebuilt only when the grids change."""
        stamp = con.execute("SELECT count(*), coalesce(sum(hash(code)), 0) FROM grids") \
            .fetchall()[0]
        with self._lock:
            if self._area is None or stamp != self._grids:
                area = store_area(con)
                area.index  # noqa: B018  (build now: the cursor closes after this request)
                self._area, self._grids = area, stamp
            return self._area

    def store_id(self) -> str:
        """The held store's ``meta.store_id`` (read once: it never changes)."""
        with self._lock:
            if self._store_id is None:
                self._store_id = self.store.meta().get("store_id", "")
            return self._store_id

    def write_records(self, kind: str, records: list, source: str) -> dict:
        """Load a batch of records (JSON objects) in one transaction; the summary."""
        with self.store.writer() as cur:
            try:
                summary = load_records(cur, kind, records, source=f"http:{source}",
                                       area=self.area(cur) if KINDS[kind].point else None,
                                       earliest=self.settings.ingest_earliest)
            except (readers.FileError, MappingError) as exc:
                raise IntakeRejected(str(exc)) from None
        return self._followed(kind, summary)

    def write_file(self, kind: str, mapping_text: str | None, path: str | Path, name: str,
                   replace: bool) -> dict:
        """Load an uploaded file (the CLI pipeline); the summary."""
        path = Path(path)
        mapping = parse_mapping(kind, mapping_text)
        with self.store.writer() as cur:
            try:
                summary = load_files(cur, kind, mapping, [path],
                                     batch_rows=self.settings.import_batch_rows, via="http",
                                     area=self.area(cur) if KINDS[kind].point else None,
                                     display_names={path: name}, replace=replace,
                                     earliest=self.settings.ingest_earliest)
            except (readers.FileError, MappingError) as exc:
                raise IntakeRejected(str(exc)) from None
        return self._followed(kind, summary)

    def authorised(self) -> bool:
        token = self.settings.intake_token
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else ""
        return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def parse_mapping(kind: str, text: str | None) -> Mapping:
    """The column map sent with a file (TOML text), or our own field names without one."""
    try:
        return Mapping.from_dict(_toml(text), kind=kind, name="mapping") if text \
            else Mapping.identity(kind)
    except (MappingError, ValueError) as exc:
        raise IntakeRejected(str(exc)) from None


def register(server, store, settings, writer=None) -> Intake:
    """Add the intake routes to the Flask ``server``.

    With an empty ``intake_token`` the routes answer 503 and the store stays read-only.
    Otherwise the checked batches go to ``writer`` (an object with :meth:`Intake.write_records`
    and :meth:`Intake.write_file`: the writer process's proxy) or, without one, to this
    process, whose store is then switched to read-write before its first use.
    """
    intake = Intake(store, settings)
    server.extensions["gridcmd_intake"] = intake
    if writer is None:
        writer = intake
        if settings.intake_token:
            store.enable_writes()

    def write(action, *args) -> Response:
        try:
            summary = action(*args)
        except IntakeRejected as exc:
            return _error(400, str(exc))
        except WriterUnavailable as exc:
            return _error(503, str(exc))
        return _json({**summary, "store_id": intake.store_id()})

    def guard(kind: str) -> Response | None:
        if not settings.intake_token:
            return _error(503, "intake is disabled (set intake_token)")
        if not intake.authorised():
            return _error(401, "missing or wrong bearer token")
        if kind not in KINDS:
            return _error(404, f"unknown kind {kind!r}; one of {sorted(KINDS)}")
        size = request.content_length
        if size is not None and size > settings.intake_max_mb * 1024 * 1024:
            return _error(413, f"body larger than {settings.intake_max_mb} MB")
        return None

    def records(kind: str):
        denied = guard(kind)
        if denied is not None:
            return denied
        mismatch = store_mismatch()
        if mismatch is not None:
            return mismatch
        try:
            # orjson refuses nesting deeper than 1024 levels as malformed, too
            body = orjson.loads(request.get_data())
        except orjson.JSONDecodeError as exc:
            return _error(400, f"body is not JSON: {exc}", "malformed_json")
        source = "upstream"
        if isinstance(body, dict):
            source = body.get("source", source)
            source = (source if isinstance(source, str) else "upstream")[:64]
            body = body.get("records", body.get("events"))
        if not isinstance(body, list) or not body:
            return _error(400, "expected a non-empty JSON array of records, or "
                               "{\"source\": ..., \"records\": [...]}", "malformed_json")
        return write(writer.write_records, kind, body, source)

    def store_mismatch() -> Response | None:
        """409 when the client names another store than this server's (``gridcmd import
        --store X`` sends X's id): the rows would land in the wrong store."""
        expected = request.headers.get(STORE_HEADER, "")
        if expected and not hmac.compare_digest(expected.encode(), intake.store_id().encode()):
            return _json({"error": f"this server holds store {intake.store_id()}, not "
                                   f"{expected[:64]}", "status": 409,
                          "code": "store_mismatch", "store_id": intake.store_id()}, 409)
        return None

    def which_store():
        """The store this server holds: its ``meta.store_id`` and real path."""
        if not settings.intake_token:
            return _error(503, "intake is disabled (set intake_token)")
        if not intake.authorised():
            return _error(401, "missing or wrong bearer token")
        return _json({"store_id": intake.store_id(), "path": str(store.path.resolve())})

    def upload(kind: str):
        denied = guard(kind)
        if denied is not None:
            return denied
        mismatch = store_mismatch()
        if mismatch is not None:
            return mismatch
        upfile = request.files.get("file")
        if upfile is None or not upfile.filename:
            return _error(400, "expected a multipart field 'file'")
        text = request.form.get("mapping") or None
        try:
            parse_mapping(kind, text)
        except IntakeRejected as exc:
            return _error(400, str(exc))
        replace = request.form.get("replace", "").strip().lower()
        if replace not in ("", "0", "1", "true", "false"):
            return _error(400, "replace must be 1/true or 0/false")
        spool = store.path.parent / "spool"
        spool.mkdir(parents=True, exist_ok=True)
        name = Path(upfile.filename).name
        path = spool / f"{uuid.uuid4().hex}-{name}"
        upfile.save(path)
        try:
            return write(writer.write_file, kind, text, str(path), name,
                         replace in ("1", "true"))
        finally:
            path.unlink(missing_ok=True)

    # before <kind>: "store" is not a kind
    server.add_url_rule(PREFIX + "store", "gridcmd_intake_store", which_store,
                        methods=["GET"])
    server.add_url_rule(PREFIX + "<kind>", "gridcmd_intake_records", records,
                        methods=["POST"])
    server.add_url_rule(PREFIX + "<kind>/file", "gridcmd_intake_file", upload,
                        methods=["POST"])
    return intake


def _toml(text: str) -> dict:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"mapping is not valid TOML: {exc}") from None
