"""The ``persons`` blueprint: person data (重点人群) and the admin audit log.

- ``/api/persons`` (a list), ``/api/persons/<id>`` (one record, masked unless asked and
  cleared), ``/api/persons/export.csv``: only for accounts with personal-data clearance,
  never for a screen; every read and every refusal leaves an audit record (who read whom).
- ``/api/persons/counts``: counts per category and unit, the only person figure a screen
  or an uncleared user gets (from the jurisdiction's protected table, small cells
  suppressed; :mod:`dashboard.privacy`).
- ``/admin/audit``: the audit log, for admins.

It sits above both the auth layer (the session's user, the audit writer) and the data
layer (:mod:`dashboard.privacy`, :mod:`dashboard.levels`); neither imports it, which keeps
the import graph free of cycles (``tests/unit/test_imports.py``). The URLs are
:mod:`dashboard.urls`'.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, request

from dashboard import access, levels, privacy
from dashboard.auth import pages
from dashboard.auth.policy import auth_store, current_user
from dashboard.auth.store import User
from dashboard.http import json_error, json_response
from dashboard.sheets import safe_cell
from dashboard.urls import (
    AUDIT_PATH,
    PERSON_COUNTS_PATH,
    PERSON_PATH,
    PERSONS_EXPORT_PATH,
    PERSONS_PATH,
)


def blueprint() -> Blueprint:
    """The person-data and audit routes (the accounts database and the store are the
    app's: ``auth.install`` and the factory put them in ``server.extensions``)."""
    bp = Blueprint("persons", __name__)

    def scoped(region_arg: str | None):
        # the region as any code dashboard.levels.resolve takes (a source code too),
        # resolved first and then narrowed on internal codes
        user = current_user()
        return user, levels.narrow(duck(), access.user_scope(), region_arg)

    def auditor(user: User, scope):
        client = request.remote_addr or "-"

        def audit(action, what, ids):
            accounts().audit(user, scope, action, what, ids, client)
        return audit

    def duck():
        return current_app.extensions["gridcmd_store"].cursor()

    def accounts():
        return auth_store(current_app)

    def cleared_only(user: User, scope, what: str) -> None:
        """Person lists follow the 重点人群 page: only for users with clearance; a refusal
        is audited too (who tried to read whom)."""
        if not user.pii_clearance:
            accounts().audit(user, scope, "denied", what, [], request.remote_addr or "-")
            raise access.Forbidden("person lists need personal-data clearance")

    @bp.get(PERSONS_PATH)
    def persons_list():
        user, scope = scoped(request.args.get("region"))
        _no_screen(user)
        cleared_only(user, scope, f"persons {scope.region}")
        limit = _int_arg("limit", 100)
        rows = privacy.list_persons(duck(), scope, auditor(user, scope), limit=limit)
        return json_response({"region": scope.region, "persons": rows})

    @bp.get(PERSON_PATH)
    def person_detail(person_id: int):
        user, scope = scoped(None)
        _no_screen(user)
        cleared_only(user, scope, f"person {person_id}")
        want_clear = request.args.get("clear") in ("1", "true")
        row = privacy.person_detail(duck(), scope, person_id, auditor(user, scope),
                                    want_clear=want_clear, cleared=user.pii_clearance)
        if row is None:
            return json_error(404, "not found")
        return json_response({"person": row})

    @bp.get(PERSONS_EXPORT_PATH)
    def persons_export():
        user, scope = scoped(request.args.get("region"))
        _no_screen(user)
        cleared_only(user, scope, f"persons {scope.region} csv")
        rows = privacy.export_persons(duck(), scope, auditor(user, scope))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(privacy.EXPORT_COLUMNS))
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in rows)
        resp = Response("\ufeff" + buf.getvalue(), mimetype="text/csv")
        resp.headers["Content-Disposition"] = f"attachment; filename=persons_{scope.region}.csv"
        return resp

    @bp.get(PERSON_COUNTS_PATH)
    def persons_counts():
        user, scope = scoped(request.args.get("region"))
        level = request.args.get("by", "village")
        if level not in ("county", "town", "village", "grid"):
            return json_error(400, "by: county, town, village or grid")
        try:
            if user.pii_clearance:
                rows = privacy.category_counts(duck(), scope, level, True)
            else:
                # from the jurisdiction's protected table: the same pattern at every level
                con = duck()
                rows = privacy.published_counts(con, access.user_scope().prefix, scope,
                                                level, privacy.listed_until(con))
        except ValueError:
            return json_error(400, "level is not below the region")
        return json_response({"region": scope.region, "by": level, "counts": rows})

    @bp.get(AUDIT_PATH)
    def admin_audit():
        user = current_user()
        if user.role != "admin":
            raise access.Forbidden("admin only")
        who = (request.args.get("user") or "").strip()[:40]
        rows = accounts().audit_rows(limit=_int_arg("limit", 200), username=who or None)
        return Response(pages.audit_page(rows, who), mimetype="text/html")

    return bp


def _int_arg(name: str, default: int) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), 1000))
    except (TypeError, ValueError):
        return default


def _no_screen(user: User) -> None:
    if user.role == "screen":
        raise access.Forbidden("screens see aggregates only")
