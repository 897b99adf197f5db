"""The app shell: the header bar every page shares, and the page container below it."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import access, ids
from dashboard.i18n import current_lang, t
from layouts.thematic import PAGES
from queries import run

PRODUCT_NAME = "网格指挥舱"
PRODUCT_NAME_EN = "GridCommand"
# Pages whose filter state (the URL query) the nav links carry from one to the next.
ANALYSIS_PAGES = frozenset({"cases", *(p.key for p in PAGES), "quality"})


def layout() -> html.Div:
    """Return the shell: a fixed-height header over a page area that fills the screen.

    The shell owns the full viewport (no page scrolls at 1920×1080); pages size themselves
    to the remaining height. The clock ticks in the browser, so it costs no server calls.
    Called per page load (the factory sets the function, not its result, as the app
    layout), so it speaks the language of the request's cookie.
    """
    lang = current_lang()
    other = "en" if lang == "zh" else "zh"
    try:
        user = access.current_user()
        role, who = user.role, user.display_name or user.username
        areas = area_switcher(user, access.user_scope().region, lang)
    except access.Forbidden:  # the shell is only served to sessions; be safe anyway
        role, who, areas = "", "", None
    # The screen role sees the overview only: its nav shows nothing else; a page limited
    # to some roles (数据质量) shows only for them (dashboard.auth.web.PATH_ROLES).
    from dashboard.auth.web import path_allowed

    pages = [p for p in dash.page_registry.values()
             if role and path_allowed(p["relative_path"], role)]
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
                            html.A(t("shell.lang", lang), href=f"/lang/{other}",
                                   className="gc-lang", id=ids.SHELL_LANG_LINK),
                            # a worker with several areas finds the name in the area menu
                            html.Span(who, className="gc-user", id=ids.SHELL_USER_TEXT,
                                      title=who, hidden=areas is not None),
                            *([areas] if areas is not None else []),
                            html.A(t("shell.logout", lang), href="/logout",
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


def area_switcher(user, current: str, lang: str) -> html.Details | None:
    """For a grid worker with several areas: the area worked in, opening to links to the
    others (``/area/<code>``, checked on the server). None for everyone else."""
    if len(user.areas) < 2:
        return None
    from flask import current_app

    con = current_app.extensions["gridcmd_store"].cursor()
    rows = run(con, "area_names", codes=list(user.areas))
    names = dict(zip(rows["code"], rows["name"], strict=True))
    return html.Details(className="gc-area", id=ids.SHELL_AREA_MENU, children=[
        html.Summary(names.get(current, current), title=t("shell.area", lang)),
        html.Div(className="gc-area-list", children=[
            html.Span(user.display_name or user.username, className="gc-area-user"),
            *[html.A(names.get(code, code), href=f"/area/{code}",
                   className="gc-area-link" + (" gc-area-current" if code == current else ""))
              for code in user.areas],
        ]),
    ])
