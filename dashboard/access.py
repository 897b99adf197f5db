"""Who may see what: the one seam between requests and the scoped query layer.

Every callback, route, export and report asks this module for the user's
:class:`~dashboard.kpi.scope.Scope` and never builds one from request data. A region a
client names (a map click, a URL, a forged POST) only ever *narrows* that scope, through
:func:`narrow`, which refuses anything outside it.

``user_scope`` reads the server-side session (``dashboard.auth``); this module stays free
of Flask details beyond ``flask.g`` so the data layer can be tested without a request.
"""

from __future__ import annotations

import re

from dashboard.errors import BadCode, Forbidden
from dashboard.kpi.scope import REGION_LENGTHS, Scope

__all__ = ["BadCode", "Forbidden", "current_user", "narrow", "scope_key", "short_code",
           "user_scope"]

_CODE = re.compile(r"[0-9]{4,15}")


def short_code(code: str) -> str:
    """The significant prefix of a region or grid code: ``320612001000`` → ``320612001``.

    12-digit region codes are padded with zeros per level (city ``3206`` + 8 zeros,
    county 6 + 6, town 9 + 3); 15-digit grid codes and 4/6/9-digit short codes pass
    through. Raises ``ValueError`` on anything but a string of 4 to 15 digits.
    """
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise BadCode(f"invalid region code {str(code)[:40]!r}")
    if len(code) == 12:
        for n in (4, 6, 9):
            if code[n:] == "0" * (12 - n):
                return code[:n]
        return code
    if len(code) not in REGION_LENGTHS:
        raise BadCode(f"invalid region code {code!r}: {len(code)} digits")
    return code


def narrow(scope: Scope, code: str | None) -> Scope:
    """The user's ``scope`` narrowed to region ``code`` (12-digit, short or grid code).

    ``None`` or an empty string keeps the scope. A code outside it (a sibling, a parent,
    another city) raises :class:`Forbidden`; a malformed one ``ValueError``. Either way
    nothing is read.
    """
    if code is None or code == "":
        return scope
    short = short_code(code)
    if not short.startswith(scope.prefix):
        raise Forbidden(f"region {short} is outside the jurisdiction {scope.prefix}")
    return Scope(short, scope.role)


def user_scope() -> Scope:
    """The jurisdiction of the user behind the current request.

    Raises
    ------
    Forbidden
        When the request has no authenticated user (see ``dashboard.auth``).
    """
    from dashboard import auth

    return auth.current_scope()


def current_user():
    """The account behind the current request (``dashboard.auth.store.User``).

    Raises
    ------
    Forbidden
        When the request has no valid session.
    """
    from dashboard import auth

    return auth.current_user()


def scope_key(scope: Scope, *parts) -> tuple:
    """A cache key that starts with the jurisdiction, so a cached answer for one user's
    scope can never be served to another (any cache in front of scoped data must use it)."""
    return (scope.region, scope.role, *parts)
