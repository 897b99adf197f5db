"""Callbacks, registered on one app instance: ``register(app, store, settings)``.

Each page has a module with its own ``register``; nothing here uses ``@dash.callback``,
whose process-global registry only the first app of a process would get.
"""

from __future__ import annotations

from dash import Dash

from dashboard.callbacks import analysis, cases, filterbar, overview, playback, quality, shell
from dashboard.settings import Settings
from dashboard.store import Store


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the callbacks of the shell and of every page on ``app``.

    Parameters
    ----------
    app : dash.Dash
        The app being assembled by the factory.
    store : Store
        The read-only store; callbacks take a per-thread cursor from it per call.
    settings : Settings
        Deployment settings; the jurisdiction (``city``) comes from here, never from
        callback inputs, which any client can forge.
    """
    shell.register(app)
    overview.register(app, store, settings)
    playback.register(app, store, settings)
    filterbar.register(app, store, settings)
    cases.register(app, store, settings)
    analysis.register(app, store, settings)
    quality.register(app, store, settings)
