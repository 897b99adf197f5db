"""The ``mygrid`` blueprint: 我的网格, the grid worker's phone page (docs/mygrid.md).

- ``GET /mygrid``: the page, server-rendered HTML (``layouts/mygrid.py``): today's tasks in
  the worker's grids, the month's figures beside the village average, the quick-report
  form. Only for the ``grid_worker`` role; the areas are the session account's own
  (``User.areas``), never a request parameter.
- ``GET /mygrid/static/<digest>/<name>``: its script and stylesheet, cacheable for a year
  in the user's browser (the URL changes with the content).
- ``POST /api/mygrid/report``: a quick report (multipart form: ``category``, ``lon``,
  ``lat``, ``text``, ``client_id``, optional ``photo``). The point must lie in one of the
  worker's grids (checked here, on the server, against the store's outlines); the record
  then goes through the live intake's writer (:class:`dashboard.ingest.intake.Intake`
  in this process, or the writer process under several workers: ``dashboard.serving``),
  so it is validated and quarantined exactly like ``POST /api/intake/incidents``. The
  photo and the text are kept beside the store (:mod:`dashboard.field_notes`:
  ``<store>.photos/<sha256>.<ext>``, ``<store>.notes/<case_no>.json``).
- ``GET /mygrid/offline``, ``GET /mygrid/sw.js``: the service worker's offline copy of the
  page (the form only) and the worker itself.
- ``GET /cases/photo/<case_no>``: a quick report's photo, for a user whose jurisdiction
  holds the case (the case panel of the workbench shows it); audited.

It sits above the data layer (:mod:`dashboard.mygrid_data`) and the auth layer, like
:mod:`dashboard.persons`; nothing imports it but the factory.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request

from dashboard import access, auth, mygrid_data, serving
from dashboard.auth.policy import current_user
from dashboard.clock import store_now
from dashboard.errors import Forbidden
from dashboard.field_notes import Notes
from dashboard.http import json_error, json_response
from dashboard.ingest.intake import Intake, IntakeRejected, WriterUnavailable
from dashboard.kpi.scope import Scope
from dashboard.overview_data import as_of
from dashboard.urls import (
    CASE_PHOTO_PATH,
    HOME,
    LOGOUT_PATH,
    MYGRID_OFFLINE_PATH,
    MYGRID_PATH,
    MYGRID_REPORT_PATH,
    MYGRID_STATIC_PATH,
    MYGRID_SW_PATH,
    PERSONS_PATH,
    mygrid_static_url,
)
from layouts import mygrid as layout
from queries import names as Q
from queries import run

ROLE = "grid_worker"
STATIC = Path(__file__).resolve().parent / "mygrid_static"
STATIC_TYPES = {"mygrid.js": "text/javascript", "mygrid.css": "text/css"}
SW_SOURCE = STATIC / "sw.js"
PHOTO_MAX = 600 * 1024  # bytes; the client scales a camera photo down before sending
PHOTO_TYPES = {  # magic bytes → extension (the declared type is not trusted)
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG\r\n\x1a\n": "png",
}
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def photo_type(data: bytes) -> str | None:
    """The extension of an image by its first bytes (JPEG, PNG, WebP), else None."""
    for magic, ext in PHOTO_TYPES.items():
        if data.startswith(magic):
            return ext
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def worker_scopes(user) -> list[Scope]:
    """The scopes of a grid worker's own areas (every one of them; from the account)."""
    if user.role != ROLE:
        raise Forbidden("我的网格 is the grid worker's page")
    return [Scope(area, user.role) for area in user.areas]


def blueprint(store, settings) -> Blueprint:
    bp = Blueprint("mygrid", __name__)
    assets = {name: (STATIC / name).read_bytes() for name in STATIC_TYPES}
    digests = {name: hashlib.sha256(body).hexdigest()[:12] for name, body in assets.items()}
    writer = None

    def get_writer():
        nonlocal writer
        if writer is None:
            writer = serving.WriterProxy(settings) if serving.split_writer(settings) \
                else Intake(store, settings)
        return writer

    def moment(con):
        return as_of(con, store_now(con), None, settings.asof_stale_days).moment

    css_url = mygrid_static_url(digests["mygrid.css"], "mygrid.css")
    js_url = mygrid_static_url(digests["mygrid.js"], "mygrid.js")
    sw_url = (f"{MYGRID_SW_PATH}?" + urlencode({"page": MYGRID_PATH, "shell": MYGRID_OFFLINE_PATH,
                                                "assets": f"{js_url},{css_url}"}))
    sw_body = SW_SOURCE.read_bytes()
    notes = Notes(settings.store)

    def worker_or_403():
        user = current_user()
        if user.role != ROLE:
            return user, Response(_message("我的网格仅供网格员使用"), status=403,
                                  mimetype="text/html")
        return user, None

    @bp.get(MYGRID_OFFLINE_PATH)
    def shell():
        """The offline copy the service worker keeps: the form for the session's grids,
        no task, person or figure (docs/mygrid.md)."""
        user, refused = worker_or_403()
        if refused:
            return refused
        scopes = worker_scopes(user)
        con = store.cursor()
        frame, outlines = mygrid_data.outlines(con, scopes)
        names = mygrid_data.area_names(con, scopes)
        html = layout.page(
            worker=user.display_name, area_names=[names[s.prefix] for s in scopes],
            moment=None, tasks={}, figures=[], categories=mygrid_data.categories(con),
            frame=frame, outlines=outlines, css_url=css_url, js_url=js_url,
            report_url=MYGRID_REPORT_PATH, home_url=HOME, logout_url=LOGOUT_PATH,
            sw_url=sw_url, shell=True)
        return Response(html, mimetype="text/html")

    @bp.get(MYGRID_SW_PATH)
    def service_worker():
        resp = Response(sw_body, mimetype="text/javascript")
        resp.headers["Service-Worker-Allowed"] = MYGRID_PATH  # scope /mygrid, not /mygrid/
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    @bp.get(CASE_PHOTO_PATH)
    def case_photo(case_no: str):
        """A quick report's photo, for the users whose jurisdiction holds the case (a case
        outside it is 404 like a missing one); the public wall never; audited."""
        user = current_user()
        if user.role == "screen":
            abort(403)
        scope = access.user_scope()
        note = notes.read(case_no)
        found = notes.photo(note)
        if found is None or not run(store.cursor(), Q.CASES_BY_NUMBER, prefix=scope.prefix,
                                    case_no=case_no).shape[0]:
            abort(404)
        path, media = found
        auth.audit("detail", f"case photo {case_no}", [], scope)
        resp = Response(path.read_bytes(), mimetype=media)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @bp.get(MYGRID_PATH)
    def page():
        user, refused = worker_or_403()
        if refused:
            return refused
        scopes = worker_scopes(user)
        con = store.cursor()
        now = moment(con)

        def audit(action, what, ids):
            auth.audit(action, what, ids, scopes[0])

        tasks = mygrid_data.tasks(con, scopes, now, audit=audit)
        frame, outlines = mygrid_data.outlines(con, scopes)
        names = mygrid_data.area_names(con, scopes)
        figures = [{"code": s.prefix, "name": names[s.prefix],
                    "figures": mygrid_data.figures(con, s, now.date(), settings.kpi_ontime)}
                   for s in scopes]
        html = layout.page(
            worker=user.display_name, area_names=[names[s.prefix] for s in scopes],
            moment=now, tasks=tasks, figures=figures,
            categories=mygrid_data.categories(con), frame=frame, outlines=outlines,
            css_url=css_url, js_url=js_url,
            report_url=MYGRID_REPORT_PATH, home_url=HOME, logout_url=LOGOUT_PATH,
            person_url=PERSONS_PATH + "/", cleared=user.pii_clearance, sw_url=sw_url)
        return Response(html, mimetype="text/html")

    @bp.get(MYGRID_STATIC_PATH)
    def static(digest: str, name: str):
        if name not in assets or digest != digests[name]:
            abort(404)
        resp = Response(assets[name], mimetype=STATIC_TYPES[name])
        resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        return resp

    @bp.post(MYGRID_REPORT_PATH)
    def report():
        user = current_user()
        scopes = worker_scopes(user)
        form = request.form
        client_id = form.get("client_id", "")
        if not _CLIENT_ID.fullmatch(client_id):
            return json_error(400, "client_id: 8 to 64 letters, digits, - or _")
        category = form.get("category", "")
        text = _CONTROL.sub("", form.get("text", "")).strip()
        if not text or len(text) > mygrid_data.MAX_TEXT:
            return json_error(400, f"描述必填，最多 {mygrid_data.MAX_TEXT} 字")
        try:
            lon, lat = float(form.get("lon", "")), float(form.get("lat", ""))
        except ValueError:
            return json_error(400, "lon and lat must be numbers")
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return json_error(400, "lon and lat must be finite")
        photo = request.files.get("photo")
        data, ext = b"", None
        if photo is not None and photo.filename:
            data = photo.read(PHOTO_MAX + 1)
            if len(data) > PHOTO_MAX:
                return json_error(413, f"照片超过 {PHOTO_MAX // 1024} KB")
            ext = photo_type(data)
            if ext is None:
                return json_error(415, "照片须为 JPEG、PNG 或 WebP")
        con = store.cursor()
        if category not in {c["code"] for c in mygrid_data.categories(con)}:
            return json_error(400, "未知的类别")
        grid = mygrid_data.locate(con, scopes, lon, lat)
        claimed = form.get("grid", "")
        if grid is None or (claimed and claimed != grid):
            auth.audit("denied", f"mygrid report outside own grids {lon:.6f},{lat:.6f}", [],
                       scopes[0])
            raise access.Forbidden("the point is outside the worker's grids")
        if not settings.intake_token:
            return json_error(503, "上报暂不可用：服务器未开启数据接入（intake_token）")
        record = mygrid_data.report_record(mygrid_data.report_case_no(user.id, client_id),
                                           category, grid, lon, lat, store_now(con))
        try:
            summary = get_writer().write_records("incidents", [record], f"mygrid:{user.id}")
        except IntakeRejected as exc:
            return json_error(400, str(exc))
        except WriterUnavailable as exc:
            return json_error(503, str(exc))
        if summary.get("quarantined"):
            return json_response({"error": "上报未通过校验，已进入隔离区",
                                  "status": 422, "code": "quarantined",
                                  "rules": summary.get("quarantined_by_rule", {}),
                                  "case_no": record["case_no"]}, 422)
        sha = notes.keep(record, text, data, ext, user.username)
        auth.audit("report", f"mygrid case {record['case_no']}", [], Scope(grid, user.role))
        return json_response({"case_no": record["case_no"], "grid_code": grid,
                              "photo": sha, "inserted": summary.get("inserted", 0),
                              "updated": summary.get("updated", 0)})

    return bp


def _message(text: str) -> str:
    from dashboard.auth import pages

    return pages.message_page("无权访问", text)
