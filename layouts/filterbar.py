"""The filter bar every analysis page shares: period, region, category, source, status.

Its state lives in the URL (``dashboard.filters.Filters``); the bar is drawn from it on
page load and written back by one callback (``dashboard/callbacks/filterbar.py``) when a
control, a chart click or a chip changes it, so a shared link reopens the same view.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids
from dashboard.filters import PERIODS, RISK_LEVELS, SENSOR_TYPES, STATUSES, Filters
from dashboard.i18n import t, value

# Filter fields by the control that sets them; a page shows the controls of the fields it
# honours and keeps the others hidden (their values stay in the URL and carry on to the
# pages that use them).
INCIDENT_FIELDS = frozenset({"category", "source", "status"})
MAX_GRID_CHIPS = 5  # more grids picked than this show as one chip that clears them all
ALL_FIELDS = INCIDENT_FIELDS | {"htype", "risk", "pcat", "stype"}
MAJOR_PREFIX = "major:"
"""Prefix of a 大类's value in the category dropdown: a city's codes need not tell a 大类
from a 小类 by their shape (the national ones are 3 and 5 characters)."""
# chips of these fields are labelled from the store's vocabularies (names keyed field:value)
VOCAB_CHIPS = {"source": "incident_source", "htype": "hazard_type",
               "pcat": "key_person_category"}


def category_options(categories, vocab=None, lang: str = "zh") -> list[dict]:
    """大类 then its 小类, as dropdown options (大类 values prefixed :data:`MAJOR_PREFIX`),
    named in ``lang`` where ``vocab`` has an English name."""
    options = []
    for major, group in categories.groupby("major_code", sort=True):
        major_name = group["major_name"].iloc[0]
        if vocab is not None and lang != "zh":
            major_name = vocab.label("category_major", major, lang)
        options.append({"label": f"▸ {major_name}（大类）" if lang == "zh"
                        else f"▸ {major_name} (class)",
                        "value": MAJOR_PREFIX + major})
        for row in group.itertuples():
            minor = row.minor_name if vocab is None else vocab.label("category", row.code, lang)
            options.append({"label": f"　{major_name} / {minor}", "value": row.code})
    return options


def chips(filters: Filters, names: dict[str, str], lang: str = "zh",
          fields=ALL_FIELDS) -> list:
    """One removable chip per active filter value; values this page does not use (they
    carry over to the pages that do) are dimmed and say so."""
    items = []

    def chip(field: str, code: str, label: str):
        off = field in ALL_FIELDS and field not in fields
        items.append(html.Button(
            [html.Span(label), html.Span("×", className="gc-chip-x")],
            id={"type": ids.FILTER_CHIP_BUTTON, "field": field, "value": code},
            className="gc-chip gc-chip-off" if off else "gc-chip", n_clicks=0,
            title=t("filter.unused", lang) if off else t("filter.reset", lang)))

    if filters.region:
        chip("region", filters.region, names.get(filters.region, filters.region))
    for code in filters.majors + filters.minors:
        chip("category", code, names.get(code, code))
    for code in filters.sources:
        chip("source", code, names.get(f"source:{code}", code))
    for code in filters.statuses:
        chip("status", code, value("status", code, lang))
    if len(filters.grids) > MAX_GRID_CHIPS:  # a box over a town: one chip, not seventy
        chip("grids", "*", t("filter.grids", lang, n=len(filters.grids)))
    else:
        for grid in filters.grids:
            chip("grid", grid, names.get(grid, grid))
    for field, values in (("htype", filters.hazard_types), ("risk", filters.risks),
                          ("pcat", filters.person_categories), ("stype", filters.sensor_types)):
        group = {"risk": "risk", "stype": "stype"}.get(field)
        for code in values:
            chip(field, code, names.get(f"{field}:{code}",
                                        value(group, code, lang) if group else code))
    return items


def filter_bar(filters: Filters, categories, region_options: list[dict],
               lang: str = "zh", fields=INCIDENT_FIELDS, vocab=None) -> html.Div:
    """The bar's controls, set to ``filters``; only the controls of ``fields`` show (every
    control is always there, hidden or not, so the one filter callback always has its
    inputs). Categories, sources, hazard types and key-person categories are the store's
    (``vocab``, :class:`dashboard.taxonomy.Vocab`; the built-in lists without one), named
    in ``lang``."""
    if vocab is None:
        from dashboard.taxonomy import builtin_vocab

        vocab = builtin_vocab()

    def coded(group: str, codes) -> list:
        """The workflow values the code owns: the values themselves in Chinese (as before),
        labelled from the catalogue in another language."""
        if lang == "zh":
            return list(codes)
        return [{"label": value(group, c, lang), "value": c} for c in codes]

    def shown(field: str) -> dict:
        return {} if field in fields else {"display": "none"}

    def pick(ident, field, options, values, placeholder):
        return html.Div(dcc.Dropdown(
            id=ident, className=f"gc-filter gc-filter-{field}", options=list(options),
            value=list(values), multi=True, placeholder=t(placeholder, lang)),
            style=shown(field))

    return html.Div(className="gc-filterbar", children=[
        dcc.Dropdown(
            id=ids.FILTER_PERIOD_DROPDOWN, className="gc-filter gc-filter-period",
            options=[{"label": t(f"filter.period.{p}", lang), "value": p} for p in PERIODS],
            value=filters.period, clearable=False, searchable=False),
        html.Div(dcc.DatePickerRange(
            id=ids.FILTER_DATES_PICKER,
            start_date=filters.date_from.isoformat() if filters.date_from else None,
            end_date=filters.date_to.isoformat() if filters.date_to else None,
            display_format="YYYY-MM-DD", disabled=filters.period != "custom",
            first_day_of_week=1,
            start_date_placeholder_text=t("filter.date_from", lang),
            end_date_placeholder_text=t("filter.date_to", lang)),
            className="gc-filter gc-filter-dates"),
        dcc.Dropdown(
            id=ids.FILTER_REGION_DROPDOWN, className="gc-filter gc-filter-region",
            options=region_options, value=filters.region or None,
            placeholder=t("filter.region", lang), searchable=True),
        pick(ids.FILTER_CATEGORY_DROPDOWN, "category",
             category_options(categories, vocab, lang),
             tuple(MAJOR_PREFIX + m for m in filters.majors) + filters.minors,
             "filter.category"),
        pick(ids.FILTER_SOURCE_DROPDOWN, "source", vocab.options("incident_source", lang),
             filters.sources, "filter.source"),
        pick(ids.FILTER_STATUS_DROPDOWN, "status", coded("status", STATUSES), filters.statuses,
             "filter.status"),
        pick(ids.FILTER_HTYPE_DROPDOWN, "htype", vocab.options("hazard_type", lang),
             filters.hazard_types, "filter.htype"),
        pick(ids.FILTER_RISK_DROPDOWN, "risk", coded("risk", RISK_LEVELS), filters.risks,
             "filter.risk"),
        pick(ids.FILTER_PCAT_DROPDOWN, "pcat", vocab.options("key_person_category", lang),
             filters.person_categories, "filter.pcat"),
        pick(ids.FILTER_STYPE_DROPDOWN, "stype", coded("stype", SENSOR_TYPES),
             filters.sensor_types, "filter.stype"),
        html.Button(t("filter.reset", lang), id=ids.FILTER_RESET_BUTTON,
                    className="gc-button", n_clicks=0),
        dcc.Store(id=ids.FILTER_GRIDS_STORE, data=list(filters.grids)),
    ])
