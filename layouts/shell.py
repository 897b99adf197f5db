"""The app shell: the header bar every page shares, and the page container below it."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids

PRODUCT_NAME = "网格指挥舱"
PRODUCT_NAME_EN = "GridCommand"


def layout() -> html.Div:
    """Return the shell: a fixed-height header over a page area that fills the screen.

    The shell owns the full viewport (no page scrolls at 1920×1080); pages size themselves
    to the remaining height. The clock ticks in the browser, so it costs no server calls.
    """
    return html.Div(
        className="gc-app",
        children=[
            html.Header(
                className="gc-header",
                children=[
                    html.Div(
                        className="gc-brand",
                        children=[
                            html.Span(className="gc-brand-mark", **{"aria-hidden": "true"}),
                            html.Span(PRODUCT_NAME, className="gc-brand-name"),
                            html.Span(PRODUCT_NAME_EN, className="gc-brand-en"),
                        ],
                    ),
                    html.Nav(
                        className="gc-nav",
                        children=[
                            dcc.Link(
                                page["name"], href=page["relative_path"], className="gc-nav-link"
                            )
                            for page in dash.page_registry.values()
                        ],
                    ),
                    html.Div(
                        className="gc-header-right",
                        children=[
                            html.Span("基层社会治理 · 网格化服务管理", className="gc-header-tag"),
                            html.Span(id=ids.SHELL_CLOCK_TEXT, className="gc-clock"),
                        ],
                    ),
                    dcc.Interval(id=ids.SHELL_CLOCK_INTERVAL, interval=1000),
                ],
            ),
            html.Main(dash.page_container, className="gc-main"),
        ],
    )
