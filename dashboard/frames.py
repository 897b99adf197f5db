"""What the page frames need, read per page load: the page-building layer.

Layouts (``layouts/``) are pure functions of their arguments: they read neither the
session nor the store. Dash calls the functions here on every page load (the factory
registers them as the shell and the pages' layouts); they read what the shell and an
analysis page's frame show — the user, the nav they may open, the areas of a worker with
several; the page's filters from its URL (checked against the jurisdiction), the store's
vocabularies, category and region options — and pass it to the layout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import dash
from flask import current_app

from dashboard import access, taxonomy
from dashboard.auth.policy import path_allowed
from dashboard.filters import FilterError, Filters
from dashboard.i18n import current_lang, t
from layouts import shell as shell_view
from layouts.analysis import FrameData
from layouts.shell import ShellData
from queries import names as Q
from queries import run


def shell_data() -> ShellData:
    """The shell's data for the request's session (empty without one: the shell is only
    served to sessions, but is safe anyway)."""
    try:
        user = access.current_user()
        current = access.user_scope().region
    except access.Forbidden:
        return ShellData()
    # The screen role sees the overview only: its nav shows nothing else; a page limited
    # to some roles (数据质量) shows only for them (dashboard.auth.policy.PATH_ROLES).
    pages = tuple({"module": p["module"], "relative_path": p["relative_path"]}
                  for p in dash.page_registry.values()
                  if path_allowed(p["relative_path"], user.role))
    names: dict[str, str] = {}
    if len(user.areas) >= 2:
        rows = run(_con(), Q.REGION_AREA_NAMES, codes=list(user.areas))
        names = dict(zip(rows["code"], rows["name"], strict=True))
    return ShellData(role=user.role, who=user.display_name or user.username, pages=pages,
                     areas=tuple(user.areas), area_names=names, current_area=current)


def parse(query: Mapping, lang: str, vocab=None, con=None) -> tuple[Filters, str]:
    """The page's filters from its URL query (a source region code resolved through
    ``con``), checked against the jurisdiction (and the store's vocabularies, ``vocab``);
    on a bad or forbidden link the defaults and a message (nothing is read for it)."""
    try:
        filters = Filters.from_query(query, vocab, con=con)
        filters.scope(access.user_scope())
        return filters, ""
    except access.Forbidden:
        return Filters(), t("filter.denied", lang)
    except FilterError as exc:
        return Filters(), t("filter.bad", lang, error=exc.text(lang))
    except ValueError as exc:
        return Filters(), t("filter.bad", lang, error=exc)


def frame_data(query: Mapping, lang: str) -> FrameData:
    """What the frame of an analysis page opened with URL ``query`` shows."""
    con = _con()
    vocab = taxonomy.vocab(con)
    filters, error = parse(query, lang, vocab, con)
    # A link naming a region by a source code (or a padded code) is read with the internal
    # code: the page's callbacks, chips and picker all see the canonical query.
    typed = query.get("region") if isinstance(query, Mapping) else None
    search = filters.to_query() if not error and typed and typed != filters.region else None
    region_options = []
    if filters.region:
        found = run(con, Q.REGION_SEARCH_CODE, code=filters.region)
        region_options = [{"label": r.name, "value": r.code} for r in found.itertuples()]
    return FrameData(filters, error, search, vocab, run(con, Q.TAXONOMY_CATEGORY_OPTIONS),
                     region_options)


def sees_import_log() -> bool:
    """Whether the session's user sees the import log of 数据质量 (False without one)."""
    from dashboard.quality_data import sees_import_log as sees

    try:
        return sees(access.user_scope())
    except access.Forbidden:
        return False


def shell():
    """The app layout: the shell for the request's session and language."""
    return shell_view.layout(shell_data(), current_lang())


def analysis_page(build: Callable, **reads: Callable[[], object]) -> Callable:
    """A Dash page layout (called with the URL query) that builds an analysis page with
    ``build(frame_data, lang, **values)``; ``reads`` name further per-request values
    (e.g. ``sees_import_log=sees_import_log``)."""

    @functools.wraps(build)
    def layout(**query):
        lang = current_lang()
        return build(frame_data(query, lang), lang, **{k: f() for k, f in reads.items()})

    return layout


def page_title(key: str) -> Callable[[], str]:
    """The browser tab's title of page ``key`` for the request's language: the app's
    bilingual name in Chinese, ``GridCommand · <page>`` in English (Dash calls it per
    page load)."""

    def title(**_path) -> str:
        lang = current_lang()
        return t("app.title", lang, page=t(f"nav.{key}", lang))

    return title


def _con():
    return current_app.extensions["gridcmd_store"].cursor()
