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
"""

from __future__ import annotations

import hmac
import threading
import uuid
from pathlib import Path

import orjson
from flask import Response, request

from dashboard.http import json_error as _error
from dashboard.http import json_response as _json
from dashboard.ingest import readers
from dashboard.ingest.kinds import KINDS
from dashboard.ingest.load import load_files, load_records, store_area
from dashboard.ingest.mapping import Mapping, MappingError

PREFIX = "/api/intake/"
STORE_HEADER = "X-Gridcmd-Store-Id"  # the store a client means; 409 when it is another


class Intake:
    """The endpoint's state: settings, the store and a cached grid index."""

    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self._area = None
        self._grids = None
        self._store_id = None
        self._lock = threading.Lock()

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

    def authorised(self) -> bool:
        token = self.settings.intake_token
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else ""
        return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def register(server, store, settings) -> Intake:
    """Add the intake routes to the Flask ``server``.

    With an empty ``intake_token`` the routes answer 503 and the store stays read-only;
    otherwise the store is switched to read-write before its first use.
    """
    intake = Intake(store, settings)
    if settings.intake_token:
        store.enable_writes()

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
        with store.writer() as cur:
            try:
                summary = load_records(cur, kind, body, source=f"http:{source}",
                                       area=intake.area(cur) if KINDS[kind].point else None,
                                       earliest=settings.ingest_earliest)
            except (readers.FileError, MappingError) as exc:
                return _error(400, str(exc))
        return _json({**summary.as_dict(), "store_id": intake.store_id()})

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
        try:
            text = request.form.get("mapping")
            mapping = Mapping.from_dict(_toml(text), kind=kind, name="mapping") if text \
                else Mapping.identity(kind)
        except (MappingError, ValueError) as exc:
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
            with store.writer() as cur:
                summary = load_files(cur, kind, mapping, [path],
                                     batch_rows=settings.import_batch_rows, via="http",
                                     area=intake.area(cur) if KINDS[kind].point else None,
                                     display_names={path: name},
                                     replace=replace in ("1", "true"),
                                     earliest=settings.ingest_earliest)
        except (readers.FileError, MappingError) as exc:
            return _error(400, str(exc))
        finally:
            path.unlink(missing_ok=True)
        return _json({**summary.as_dict(), "store_id": intake.store_id()})

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
