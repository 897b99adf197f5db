"""The app shell: the header bar every page shares, and the page container below it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.i18n import t
from dashboard.urls import LOGOUT_PATH, area_url, lang_url
from layouts.thematic import PAGES

PRODUCT_NAME = "网格指挥舱"
PRODUCT_NAME_EN = "GridCommand"
# Pages whose filter state (the URL query) the nav links carry from one to the next.
ANALYSIS_PAGES = frozenset({"cases", *(p.key for p in PAGES), "quality"})


@dataclass(frozen=True)
class ShellData:
    """The header bar's data: who is logged in, the pages they may open (``module``,
    ``relative_path``), and for a worker with several areas, the areas by code → name
    and the one worked in."""

    role: str = ""
    who: str = ""
    pages: tuple[dict, ...] = ()
    areas: tuple[str, ...] = ()
    area_names: Mapping[str, str] = field(default_factory=dict)
    current_area: str = ""


def layout(data: ShellData, lang: str) -> html.Div:
    """Return the shell: a fixed-height header over a page area that fills the screen.

    The shell owns the full viewport (no page scrolls at 1920×1080); pages size themselves
    to the remaining height. The clock ticks in the browser, so it costs no server calls.
    ``data`` is read per page load by
    ``dashboard.frames.shell`` (the app layout): the user, the pages their role may open
    (the screen sees the overview only), their areas; ``lang`` the request's language.
    """
    other = "en" if lang == "zh" else "zh"
    who, pages = data.who, data.pages
    areas = area_switcher(data, lang)
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
                                t(f"nav.{page['module']}", lang),
                                href=page["relative_path"], className="gc-nav-link",
                                id={"type": ids.SHELL_NAV_LINK, "page": page["module"],
                                    "analysis": "1" if page["module"] in ANALYSIS_PAGES
                                    else "0"},
                            )
                            for page in pages
                        ],
                    ),
                    dcc.Store(id=ids.SHELL_NAV_STORE,
                              data=[page["relative_path"] for page in pages]),
                    html.Div(
                        className="gc-header-right",
                        children=[
                            html.Span(t("shell.tag", lang), className="gc-header-tag"),
                            html.A(t("shell.lang", lang), href=lang_url(other),
                                   className="gc-lang", id=ids.SHELL_LANG_LINK),
                            # a worker with several areas finds the name in the area menu
                            html.Span(who, className="gc-user", id=ids.SHELL_USER_TEXT,
                                      title=who, hidden=areas is not None),
                            *([areas] if areas is not None else []),
                            html.A(t("shell.logout", lang), href=LOGOUT_PATH,
                                   className="gc-lang", id=ids.SHELL_LOGOUT_LINK),
                            html.Span(id=ids.SHELL_CLOCK_TEXT, className="gc-clock"),
                            dcc.Store(id=ids.SHELL_LANG_STORE, data=lang),
                        ],
                    ),
                    dcc.Interval(id=ids.SHELL_CLOCK_INTERVAL, interval=1000),
                ],
            ),
            html.Main(dash.page_container, className="gc-main"),
        ],
    )


def area_switcher(data: ShellData, lang: str) -> html.Details | None:
    """For a grid worker with several areas: the area worked in, opening to links to the
    others (``/area/<code>``, checked on the server). None for everyone else."""
    if len(data.areas) < 2:
        return None
    names, current = data.area_names, data.current_area
    return html.Details(className="gc-area", id=ids.SHELL_AREA_MENU, children=[
        html.Summary(names.get(current, current), title=t("shell.area", lang)),
        html.Div(className="gc-area-list", children=[
            html.Span(data.who, className="gc-area-user"),
            *[html.A(names.get(code, code), href=area_url(code),
                   className="gc-area-link" + (" gc-area-current" if code == current else ""))
              for code in data.areas],
        ]),
    ])
