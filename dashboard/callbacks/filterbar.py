"""Callbacks of the filter bar every analysis page shares.

* ``filter_state``: the one writer of the filter state. Controls, chips, the reset button
  and cross-filter gestures on any page — a click on a chart ``{"type": XFILTER_GRAPH,
  "field": …, "page": …}``, on a map unit ``{"type": XFILTER_MAP, "name": page}``, or a
  box/lasso drawn on a map ``{"type": XFILTER_DRAW, "name": page}`` — all land here; it
  writes the URL query and sets the controls back, so URL and controls never disagree.
* ``region_options``: the region picker searches the tree on the server.
* ``filter_chips``: one removable chip per active filter, dimmed where the page does not
  use the field.

Like every callback, they take the user's scope from the session and the filters from the
untrusted URL: a malformed filter answers 400, a region or grid outside the jurisdiction
403, and nothing is read.
"""

from __future__ import annotations

from datetime import date

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from dashboard import access, ids, levels, taxonomy
from dashboard import cases_data as data
from dashboard.callbacks.common import ClickData, Feature, FeatureCollection, Option, guarded
from dashboard.filters import DOMAIN_FIELDS, MAX_ITEMS, Filters
from dashboard.i18n import current_lang, t
from dashboard.settings import Settings
from dashboard.store import Store
from layouts import filterbar
from layouts.thematic import PAGES
from queries import names as Q
from queries import run

Strings = list[str] | None  # a multi-value dropdown's value
# the keys a pattern-matching id of the filter bar's inputs carries, by its type
PATTERN_KEYS = {ids.FILTER_CHIP_BUTTON: ("field", "value"),
                ids.XFILTER_GRAPH: ("field", "page"), ids.XFILTER_MAP: ("name",),
                ids.XFILTER_DRAW: ("name",)}

# Cross-filter fields of charts → the Filters attribute a click toggles.
TOGGLES = {"major": "majors", "source": "sources", "status": "statuses",
           **{name: attr for name, attr, _ in DOMAIN_FIELDS}}
# Which filter fields each analysis page uses (the others stay in the URL, dimmed): the
# event page's, and each thematic page's from its description.
PAGE_FIELDS = {"cases": filterbar.INCIDENT_FIELDS, **{p.key: p.fields for p in PAGES}}
# The region picker shows where a unit sits in the tree: its level, and the units above it.
LEVEL_TAGS = {"city": "[市]", "county": "[区县]", "town": "[乡镇]", "village": "[村社]",
              "grid": "[网格]"}
# the Filters fields of the multi-value dropdowns, in the order of CONTROLS
CONTROL_NAMES = ("categories", "sources", "statuses", "htypes", "risks", "pcats", "stypes")
CONTROLS = (ids.FILTER_CATEGORY_DROPDOWN, ids.FILTER_SOURCE_DROPDOWN,
            ids.FILTER_STATUS_DROPDOWN, ids.FILTER_HTYPE_DROPDOWN, ids.FILTER_RISK_DROPDOWN,
            ids.FILTER_PCAT_DROPDOWN, ids.FILTER_STYPE_DROPDOWN)


def from_controls(period, start, end, region, categories, sources, statuses, htypes=None,
                  risks=None, pcats=None, stypes=None, grids=None, vocab=None) -> Filters:
    """The filters the controls show (validated like a URL, against ``vocab``: the store's
    vocabularies, by default those of the request's store). A category value is a 大类 when
    prefixed ``major:`` (or, unprefixed, when it is a 大类 code and no 小类 code)."""
    from dashboard.taxonomy import current

    vocab = vocab or current()
    minors = set(vocab.minors)
    majors, picked = [], []
    for c in categories or []:
        c = str(c)
        if c.startswith(filterbar.MAJOR_PREFIX):
            majors.append(c[len(filterbar.MAJOR_PREFIX):])
        elif c not in minors and c in set(vocab.majors):
            majors.append(c)
        else:
            picked.append(c)
    return Filters.from_query({
        "period": period, "from": (start or "")[:10], "to": (end or "")[:10],
        "region": region or "", "major": majors, "minor": picked, "source": sources or [],
        "status": statuses or [], "grid": grids or [], "htype": htypes or [],
        "risk": risks or [], "pcat": pcats or [], "stype": stypes or [],
    }, vocab)


def _toggle(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value) if value in values else (*values, value)


def apply_click(filters: Filters, field: str, key: str, vocab=None) -> Filters:
    """The filters after a click on a chart element of ``field`` whose key is ``key``: a
    value toggles in its list; a day narrows the period to it. The value is checked like
    any URL value (a forged key is a ValueError, not a filter)."""
    if field == "day":  # a day, or a week of a long trend: "first/last"
        first, _, last = str(key).partition("/")
        d0 = date.fromisoformat(first[:10])
        d1 = date.fromisoformat(last[:10]) if last else d0
        if d1 < d0:
            raise ValueError("a click's days are reversed")
        return filters.with_(period="custom", date_from=d0, date_to=d1)
    if field not in TOGGLES:
        raise ValueError(f"unknown cross-filter field {field!r}")
    attr = TOGGLES[field]
    changed = filters.with_(**{attr: _toggle(getattr(filters, attr), key)})
    return Filters.from_query(changed.to_query(), vocab)


def remove_chip(filters: Filters, field: str, value: str) -> Filters:
    """The filters without one chip's value."""
    if field == "region":
        return filters.with_(region="")
    if field == "grids":  # the one chip of many picked grids
        return filters.with_(grids=())
    if field == "category":
        return filters.with_(majors=tuple(v for v in filters.majors if v != value),
                             minors=tuple(v for v in filters.minors if v != value))
    attr = {"grid": "grids", **TOGGLES}.get(field)
    if attr is None:
        raise ValueError(f"unknown chip field {field!r}")
    return filters.with_(**{attr: tuple(v for v in getattr(filters, attr) if v != value)})


def drawn_grids(con, user, filters: Filters, shapes) -> tuple[str, ...]:
    """The grids of the filtered region inside the last shape drawn on a map."""
    features = (shapes or {}).get("features") if isinstance(shapes, dict) else None
    if not features:
        return filters.grids
    scope = access.narrow(user, filters.region or None)
    return tuple(data.grids_in_shape(con, scope, features[-1].get("geometry")))


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the filter bar's callbacks on ``app``."""
    # The filter bar's controls by the name of the Filters field they show: each is an
    # input and an output of ``filter_state`` (which sets them back from the URL state).
    controls = {"period": (ids.FILTER_PERIOD_DROPDOWN, "value"),
                "start": (ids.FILTER_DATES_PICKER, "start_date"),
                "end": (ids.FILTER_DATES_PICKER, "end_date"),
                "region": (ids.FILTER_REGION_DROPDOWN, "value"),
                **dict(zip(CONTROL_NAMES, ((c, "value") for c in CONTROLS), strict=True))}
    outputs = {**{name: Output(*c) for name, c in controls.items()},
               "dates_disabled": Output(ids.FILTER_DATES_PICKER, "disabled"),
               "grids": Output(ids.FILTER_GRIDS_STORE, "data"),
               "search": Output(ids.FILTER_URL, "search"),
               "message": Output(ids.FILTER_ERROR_DIV, "children")}
    nothing = {name: no_update for name in outputs}

    @app.callback(
        output=outputs,
        inputs={
            **{name: Input(*c) for name, c in controls.items()},
            "reset": Input(ids.FILTER_RESET_BUTTON, "n_clicks"),
            "chips": Input({"type": ids.FILTER_CHIP_BUTTON, "field": ALL, "value": ALL},
                           "n_clicks"),
            "charts": Input({"type": ids.XFILTER_GRAPH, "field": ALL, "page": ALL},
                            "clickData"),
            "map_clicks": Input({"type": ids.XFILTER_MAP, "name": ALL}, "n_clicks"),
            "drawings": Input({"type": ids.XFILTER_DRAW, "name": ALL}, "geojson"),
        },
        state={
            "map_data": State({"type": ids.XFILTER_MAP, "name": ALL}, "clickData"),
            "grids": State(ids.FILTER_GRIDS_STORE, "data"),
            "search": State(ids.FILTER_URL, "search"),
        },
        prevent_initial_call=True,
    )
    @guarded
    def filter_state(*, period: str | None, start: str | None, end: str | None,
                     region: str | None, categories: Strings, sources: Strings,
                     statuses: Strings, htypes: Strings, risks: Strings, pcats: Strings,
                     stypes: Strings, reset: int | None, chips: list[int | None],
                     charts: list[ClickData | None], map_clicks: list[int | None],
                     drawings: list[FeatureCollection | None], map_data: list[Feature | None],
                     grids: Strings, search: str | None):
        trigger = ctx.triggered_id
        kind = trigger.get("type") if isinstance(trigger, dict) else trigger
        if isinstance(trigger, dict) and not all(
                isinstance(trigger.get(k), str) for k in PATTERN_KEYS.get(kind, ())):
            raise ValueError(f"malformed pattern id {str(trigger)[:80]}")
        if period == "custom" and not (start and end):
            # Custom range chosen but not yet picked: wait for the dates.
            return {**nothing, "dates_disabled": False}
        if period != "custom":
            start = end = None
        vocab = taxonomy.vocab(store.cursor())
        filters = from_controls(period, start, end, region, categories, sources, statuses,
                                htypes, risks, pcats, stypes, grids, vocab)
        message = ""
        # reset, chips and map_clicks only fire: which component did is ctx.triggered_id,
        # and its place among its pattern's components fired(<input name>)
        fired = _fired_index(trigger)
        if kind == ids.FILTER_RESET_BUTTON:
            filters = Filters()
        elif kind == ids.FILTER_CHIP_BUTTON:
            # Chips are re-created with n_clicks=0 whenever the filters change; only a
            # real click (n_clicks > 0 on the chip that fired) removes a filter.
            clicks = {(i["id"].get("field"), i["id"].get("value")): i.get("value")
                      for i in ctx.args_grouping["chips"] if isinstance(i.get("id"), dict)}
            if not clicks.get((trigger["field"], trigger["value"])):
                return nothing
            filters = remove_chip(filters, trigger["field"], trigger["value"])
        elif kind == ids.XFILTER_GRAPH:
            click = charts[fired("charts")]
            if not click or not click.get("points"):
                return nothing
            key = click["points"][0].get("customdata")
            if isinstance(key, list):
                key = key[0] if key else None
            if key is None:
                return nothing
            filters = apply_click(filters, trigger["field"], str(key), vocab)
        elif kind == ids.XFILTER_MAP:
            at = fired("map_clicks")
            feature = map_data[at] if at < len(map_data or []) else None
            props = (feature or {}).get("properties") or {}
            code = str(props.get("short_code") or "")
            if props.get("level") == "grid":
                filters = filters.with_(grids=_toggle(filters.grids, code))
            elif code:
                filters = filters.with_(region=code, grids=())
        elif kind == ids.XFILTER_DRAW:
            shapes = drawings[fired("drawings")]
            if not (isinstance(shapes, dict) and shapes.get("features")):
                # The draw control reports its empty layer when it mounts: not a gesture.
                return nothing
            try:
                picked = drawn_grids(store.cursor(), access.user_scope(), filters, shapes)
            except data.TooManyGrids as exc:
                return {**nothing, "message": t("filter.toomany", current_lang(), n=exc.n,
                                                max=MAX_ITEMS)}
            filters = filters.with_(grids=picked)
        filters.scope(access.user_scope())  # Forbidden → 403 before the URL changes
        query = filters.to_query()
        return {
            "period": filters.period,
            "start": filters.date_from.isoformat() if filters.date_from else None,
            "end": filters.date_to.isoformat() if filters.date_to else None,
            "dates_disabled": filters.period != "custom",
            "region": filters.region or None,
            "categories": [filterbar.MAJOR_PREFIX + m for m in filters.majors]
            + list(filters.minors),
            "sources": list(filters.sources),
            "statuses": list(filters.statuses),
            "htypes": list(filters.hazard_types),
            "risks": list(filters.risks),
            "pcats": list(filters.person_categories),
            "stypes": list(filters.sensor_types),
            "grids": list(filters.grids),
            "search": query if query != (search or "") else no_update,
            "message": message,
        }

    @app.callback(
        Output(ids.FILTER_REGION_DROPDOWN, "options"),
        Input(ids.FILTER_REGION_DROPDOWN, "search_value"),
        State(ids.FILTER_REGION_DROPDOWN, "value"),
        State(ids.FILTER_REGION_DROPDOWN, "options"),
        prevent_initial_call=True,
    )
    @guarded
    def region_options(text: str | None, value: str | None, options: list[Option] | None):
        if not text:
            return no_update
        con = store.cursor()
        found = data.search_regions(con, access.user_scope(), text)
        lv = levels.of(con)
        out = [{"label": f"{level_tag(lv, r.level)} {r.name}"
                         + (f"（{r.path}）" if r.path else ""), "value": r.code}
               for r in found.itertuples()]
        keep = [o for o in (options or []) if o.get("value") == value]
        return keep + [o for o in out if o["value"] != value]

    @app.callback(
        Output(ids.FILTER_CHIPS_DIV, "children"),
        Input(ids.FILTER_URL, "search"),
        State(ids.FILTER_PAGE_STORE, "data"),
    )
    @guarded
    def filter_chips(search: str | None, page: str | None):
        con = store.cursor()
        vocab = taxonomy.vocab(con)
        filters = Filters.from_query(search or "", vocab, con=con)
        filters.scope(access.user_scope())
        fields = PAGE_FIELDS.get(page if isinstance(page, str) else "", frozenset())
        lang = current_lang()
        return filterbar.chips(filters, chip_names(con, filters, vocab, lang), lang, fields)


def _fired_index(trigger):
    """A function of an input's name giving the position, among that pattern-matching
    input's components (``ctx.args_grouping``), of the one that fired (``trigger``)."""
    def fired(name: str) -> int:
        return [item["id"] for item in ctx.args_grouping[name]].index(trigger)
    return fired


def level_tag(lv: levels.Levels, level: str) -> str:
    """The picker's tag of a level: the store's own name where it has one."""
    name = lv.name(level)
    return f"[{name}]" if name else LEVEL_TAGS.get(level, "")


def chip_names(con, filters: Filters, vocab=None, lang: str = "zh") -> dict[str, str]:
    """Display names for the chips: 大类 and 小类 names, region and grid names, and the
    store's names of sources, hazard types and key-person categories (``field:value``),
    in ``lang`` where the vocabulary has an English name."""
    vocab = vocab or taxonomy.vocab(con)
    cats = run(con, Q.TAXONOMY_CATEGORY_OPTIONS)
    names = dict(zip(cats["major_code"], cats["major_name"], strict=False))
    names.update({r.code: r.minor_name for r in cats.itertuples()})
    if lang != "zh":
        names.update({m: vocab.label("category_major", m, lang) for m in vocab.majors})
        names.update({c: vocab.label("category", c, lang) for c in vocab.minors})
    for field, name in filterbar.VOCAB_CHIPS.items():
        names.update({f"{field}:{c}": vocab.label(name, c, lang) for c in vocab.codes(name)})
    for code in (filters.region, *filters.grids):
        if code:
            found = run(con, Q.REGION_SEARCH_CODE, code=code)
            if not found.empty:
                names[code] = found.at[0, "name"]
    return names
