"""The 通报 page's data and its download route (docs/reports.md, the 通报 page).

:func:`page_layout` is the page's Dash layout, called per page load: it reads the
session's scope (:func:`dashboard.access.user_scope`, never the request) and lists the
archive's reports inside it, then hands plain rows to ``layouts/reports.py``.

:func:`blueprint` serves ``/reports/file/<id>.<fmt>``: the id names an index row (16 hex
digits, nothing else is accepted), the file path comes from that row, never from the URL;
a report outside the user's jurisdiction answers 404 exactly like an unknown id (its
existence is not confirmed), and the screen role gets 403. Every download is audited
(``report`` action: region, month, as-of, format) before a byte is sent.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, send_file

from dashboard import access, auth
from dashboard.http import json_error
from dashboard.report.archive import FORMAT_ORDER, Archive
from dashboard.urls import REPORT_FILE_PATH

MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REFUSED_ROLES = frozenset({"screen"})  # a public wall; the 通报 lists cases


def archive_of(settings) -> Archive:
    return Archive.beside(settings.store, settings.report_archive or None)


def visible_rows(archive: Archive, scope) -> list[dict]:
    """The archive's reports ``scope`` may see, as plain rows for the layout."""
    if scope.role in REFUSED_ROLES:
        return []
    return [{"id": e.id, "region": e.region, "region_name": e.region_name, "level": e.level,
             "period": e.period, "period_kind": e.period_kind, "as_of": e.as_of,
             "generated_at": e.generated_at,
             "formats": list(e.formats), "kpis": e.kpis, "late_total": e.late_total}
            for e in archive.entries(scope)]


def page_layout(**_query):
    """The /reports page for the request's session."""
    from dashboard.i18n import current_lang
    from layouts import reports as view

    try:
        scope = access.user_scope()
    except access.Forbidden:
        return view.layout([], "", current_lang())
    settings = current_app.config["GRIDCMD_SETTINGS"]
    return view.layout(visible_rows(archive_of(settings), scope), _scope_name(scope),
                       current_lang())


def _scope_name(scope) -> str:
    """``崇川区（320613）``; the code alone for a grid or a region the store lacks."""
    from queries import names as Q
    from queries import run

    if len(scope.region) > 12:
        return scope.region
    con = current_app.extensions["gridcmd_store"].cursor()
    found = run(con, Q.REGION_REGION, code=scope.region.ljust(12, "0"))
    if found.empty:
        return scope.region
    return f"{found['name'].iloc[0]}（{scope.region}）"


def blueprint(settings) -> Blueprint:
    bp = Blueprint("reports", __name__)

    @bp.get(REPORT_FILE_PATH)
    def report_file(report_id: str, fmt: str) -> Response:
        try:
            scope = access.user_scope()
        except access.Forbidden as exc:
            return json_error(403, str(exc))
        if scope.role in REFUSED_ROLES:
            return json_error(403, "the screen role cannot download reports")
        archive = archive_of(settings)
        entry = archive.get(report_id) if fmt in FORMAT_ORDER else None
        if entry is None or not entry.visible_to(scope) or fmt not in entry.formats:
            return json_error(404, "no such report")
        path = archive.path(entry, fmt)
        if not path.is_file():
            return json_error(404, "no such report")
        auth.audit("report", f"通报 {entry.region} {entry.period} as of "
                   f"{entry.as_of:%Y-%m-%d %H:%M} {fmt} ({entry.id})", (), scope)
        response = send_file(path, mimetype=MIMETYPES[fmt], max_age=0)
        name = path.name
        response.headers["Content-Disposition"] = (
            f"attachment; filename=report_{entry.region}_{entry.period}.{fmt}; "
            f"filename*=UTF-8''{quote(name)}")
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
