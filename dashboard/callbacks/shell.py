"""Callbacks of the shell (the header shared by every page)."""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Dash, Input, Output, State

from dashboard import ids


def register(app: Dash) -> None:
    """Tick the header clock in the browser (``assets/gridcmd_shell.js``).

    Clientside, because a clock that asked the server every second would cost one request
    per screen per second for nothing the server knows better than the browser.
    """
    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd", function_name="clock"),
        Output(ids.SHELL_CLOCK_TEXT, "children"),
        Input(ids.SHELL_CLOCK_INTERVAL, "n_intervals"),
        State(ids.SHELL_LANG_STORE, "data"),
    )

    # The filter state carries across the analysis pages: the nav links take the current
    # query (in the browser: nothing the server needs to see).
    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd", function_name="navLinks"),
        Output({"type": ids.SHELL_NAV_LINK, "page": ALL, "analysis": ALL}, "href"),
        Input("_pages_location", "search"),
        Input("_pages_location", "pathname"),
        State({"type": ids.SHELL_NAV_LINK, "page": ALL, "analysis": ALL}, "id"),
        State(ids.SHELL_NAV_STORE, "data"),
    )
