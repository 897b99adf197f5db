"""The callback of the 数据质量 page (``layouts/quality.py``).

URL → total, cards, map, per-region table and chart, and the import log. The scope comes
from the session and only narrows (a region outside the jurisdiction answers 403, a
malformed filter 400, and nothing is read); the import log is built only for admins and
city-level users (``quality_data.sees_import_log``), never for a county user, whatever
the request says. The page's callbacks are limited to leaders, analysts and admins by the
auth layer (``dashboard.auth.policy.PAGE_ROLES``).
"""

from __future__ import annotations

from dash import Dash, Input, Output

from dashboard import ids, quality_data
from dashboard.callbacks.analysis import unit_map
from dashboard.callbacks.common import analysis_request, guarded
from dashboard.i18n import t
from dashboard.settings import Settings
from dashboard.store import Store
from layouts import quality
from queries import names as Q
from queries import run


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the 数据质量 page's callback on ``app``."""

    @app.callback(
        Output(ids.QUALITY_TOTAL_TEXT, "children"),
        Output(ids.QUALITY_CARDS_DIV, "children"),
        Output({"type": ids.XFILTER_MAP, "name": quality.PAGE}, "url"),
        Output({"type": ids.XFILTER_MAP, "name": quality.PAGE}, "hideout"),
        Output(ids.page_id(quality.PAGE, "map", "container"), "viewport"),
        Output(ids.QUALITY_REGIONS_DIV, "children"),
        Output(ids.QUALITY_ISSUES_GRAPH, "figure"),
        Output(ids.QUALITY_POINTS_DIV, "children"),
        Output(ids.QUALITY_IMPORTS_DIV, "children"),
        Output(ids.QUALITY_RULES_GRAPH, "figure"),
        Input(ids.FILTER_URL, "search"),
    )
    @guarded
    def fill_quality(search: str | None):
        r = analysis_request(store, search)
        data = quality_data.page(r.con, r.user, r.filters, r.now)
        scope, (d0, d1), table = data["scope"], data["span"], data["regions"]
        total = table[table["total"]].iloc[0].to_dict()
        found = run(r.con, Q.REGION_SEARCH_CODE, code=scope.prefix)
        name = found.at[0, "name"] if not found.empty else scope.prefix
        url, viewport = unit_map(app, r.con, scope)
        hideout = quality.map_hideout(table, scope.prefix)
        imports = data["imports"]
        return (t("quality.total", r.lang, region=name, span=f"{d0:%Y-%m-%d} – {d1:%Y-%m-%d}",
                  n=f"{int(total['records']):,}"),
                quality.cards(total, r.lang), url, hideout, viewport,
                quality.region_table(table, r.lang), quality.issues_figure(table, r.lang),
                quality.points_list(imports, r.lang), quality.imports_list(imports, r.lang),
                quality.rules_figure(imports, r.lang))
