"""Accounts, sessions and jurisdiction (issue 6).

Interim: until login lands, every request acts as a leader of the configured city, as the
dashboard did before accounts existed. ``current_scope`` is the one function the rest of
the code calls; the login work replaces its body with the session lookup.
"""

from __future__ import annotations

from flask import current_app

from dashboard.kpi.scope import Scope


def current_scope() -> Scope:
    """The jurisdiction of the user behind the current request."""
    settings = current_app.config["GRIDCMD_SETTINGS"]
    return Scope(settings.city, "leader")
