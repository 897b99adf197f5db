"""Accounts, sessions and jurisdiction (issue 6); see docs/security.md.

``current_scope`` is the one function the rest of the code calls (through
``dashboard.access.user_scope``): the :class:`~dashboard.kpi.scope.Scope` of the user of
the request's server-side session (for a grid worker with several areas, the one chosen
at ``/area/<code>``). It fails closed: no request, no session, an expired,
revoked or disabled one all raise :class:`dashboard.access.Forbidden` (HTTP 403), and no
code path falls back to a default jurisdiction.

``install(app, settings)`` registers the auth layer's blueprints on an app
(``dashboard.auth.web``: the guard, headers and limits of ``dashboard.auth.guard``, the
login, logout and kiosk pages of ``dashboard.auth.session``); the person-data endpoints
are ``dashboard.persons``'.
"""

from __future__ import annotations

from dashboard.kpi.scope import Scope


def current_user():
    """The account of the current request (``dashboard.auth.store.User``)."""
    from dashboard.auth.policy import current_user as _current_user

    return _current_user()


def current_scope() -> Scope:
    """The jurisdiction of the user behind the current request.

    Raises
    ------
    dashboard.access.Forbidden
        Without a valid session.
    """
    from flask import request

    from dashboard.auth.policy import AREA_COOKIE

    # A grid worker with several areas works in one at a time, chosen at /area/<code>; the
    # cookie only selects among the account's own areas (``User.scope_for``).
    return current_user().scope_for(request.cookies.get(AREA_COOKIE))


def audit(action: str, what: str, ids=(), scope: Scope | None = None) -> None:
    """Append an audit record for the current user (an export, a clear view ...).

    Call it *before* returning the data, so a failed write returns nothing. ``scope`` is
    the (narrowed) scope the data came from; the session's by default.

    Parameters
    ----------
    action : str
        ``export``, ``detail``, ``detail_clear``, ``list`` ...
    what : str
        What was read, e.g. ``cases 320612 csv``.
    ids : iterable of int
        Ids of the records returned (case ids, person ids).
    """
    from flask import current_app, request

    from dashboard.auth.policy import EXTENSION

    user = current_user()
    current_app.extensions[EXTENSION].audit(user, scope or current_scope(), action, what, ids,
                                            request.remote_addr or "-")


def install(app, settings):
    """Add the auth layer to ``app``; returns the :class:`~dashboard.auth.store.AuthStore`."""
    from dashboard.auth.web import install as _install

    return _install(app, settings)
