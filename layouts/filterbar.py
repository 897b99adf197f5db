"""The filter bar every analysis page shares: period, region, category, source, status.

Its state lives in the URL (``dashboard.filters.Filters``); the bar is drawn from it on
page load and written back by one callback (``dashboard/callbacks/filterbar.py``) when a
control, a chart click or a chip changes it, so a shared link reopens the same view.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids
from dashboard.filters import PERIODS, SOURCES, STATUSES, Filters
from dashboard.i18n import t


def category_options(categories) -> list[dict]:
    """大类 then its 小类, as dropdown options; 大类 values are 3 characters, 小类 5."""
    options = []
    for major, group in categories.groupby("major_code", sort=True):
        options.append({"label": f"▸ {group['major_name'].iloc[0]}（大类）", "value": major})
        options += [{"label": f"　{row.major_name} / {row.minor_name}", "value": row.code}
                    for row in group.itertuples()]
    return options


def chips(filters: Filters, names: dict[str, str], lang: str = "zh") -> list:
    """One removable chip per active filter value."""
    items = []

    def chip(field: str, value: str, label: str):
        items.append(html.Button(
            [html.Span(label), html.Span("×", className="gc-chip-x")],
            id={"type": ids.FILTER_CHIP_BUTTON, "field": field, "value": value},
            className="gc-chip", n_clicks=0, title=t("filter.reset", lang)))

    if filters.region:
        chip("region", filters.region, names.get(filters.region, filters.region))
    for code in filters.majors + filters.minors:
        chip("category", code, names.get(code, code))
    for value in filters.sources:
        chip("source", value, value)
    for value in filters.statuses:
        chip("status", value, value)
    for grid in filters.grids:
        chip("grid", grid, names.get(grid, grid))
    return items


def filter_bar(filters: Filters, categories, region_options: list[dict],
               lang: str = "zh") -> html.Div:
    """The bar's controls, set to ``filters``."""
    return html.Div(className="gc-filterbar", children=[
        dcc.Dropdown(
            id=ids.FILTER_PERIOD_DROPDOWN, className="gc-filter gc-filter-period",
            options=[{"label": t(f"filter.period.{p}", lang), "value": p} for p in PERIODS],
            value=filters.period, clearable=False, searchable=False),
        dcc.DatePickerRange(
            id=ids.FILTER_DATES_PICKER, className="gc-filter gc-filter-dates",
            start_date=filters.date_from.isoformat() if filters.date_from else None,
            end_date=filters.date_to.isoformat() if filters.date_to else None,
            display_format="YYYY-MM-DD", disabled=filters.period != "custom"),
        dcc.Dropdown(
            id=ids.FILTER_REGION_DROPDOWN, className="gc-filter gc-filter-region",
            options=region_options, value=filters.region or None,
            placeholder=t("filter.region", lang), searchable=True),
        dcc.Dropdown(
            id=ids.FILTER_CATEGORY_DROPDOWN, className="gc-filter gc-filter-category",
            options=category_options(categories), value=list(filters.majors + filters.minors),
            multi=True, placeholder=t("filter.category", lang)),
        dcc.Dropdown(
            id=ids.FILTER_SOURCE_DROPDOWN, className="gc-filter gc-filter-source",
            options=list(SOURCES), value=list(filters.sources), multi=True,
            placeholder=t("filter.source", lang)),
        dcc.Dropdown(
            id=ids.FILTER_STATUS_DROPDOWN, className="gc-filter gc-filter-status",
            options=list(STATUSES), value=list(filters.statuses), multi=True,
            placeholder=t("filter.status", lang)),
        html.Button(t("filter.reset", lang), id=ids.FILTER_RESET_BUTTON,
                    className="gc-button", n_clicks=0),
        dcc.Store(id=ids.FILTER_GRIDS_STORE, data=list(filters.grids)),
    ])
