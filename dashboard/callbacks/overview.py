"""Callbacks of the overview page.

Three server callbacks and two in the browser:

* ``map_view`` (region, indicator, as-of day, period, refresh tick) → the map layer's URL
  and colours, the breadcrumb, the title and the point layers;
* ``league`` (region, as-of day, period, refresh tick) → the sub-regions ranked by
  composite grade;
* ``panels`` (region, as-of day, period, refresh tick) → KPI cards, trends, alerts, live
  feed, the banner (data age, or the as-of day of a screen not showing now) and the
  newest critical alert;
* ``gridcmd.overview.nav`` (clientside, ``assets/gridcmd_overview.js``) turns map clicks,
  breadcrumb clicks, kiosk rotation ticks and new critical alerts into the next region and
  indicator, without a server round trip; ``gridcmd.overview.syncUrl`` writes the as-of
  day and period back to the URL.

What the three share is computed once per click (:mod:`dashboard.pagememo`): the region
in view and the as-of moment (:func:`as_of_of`: the store's clock, the newest record, the
picked day) are memoised per (who asks, inputs, store version, minute), so the three agree;
each callback's finished outputs are memoised the same way (with the language), so a
repeated click or a refresh tick with no new data costs a lookup. A callback that asks for
a value another is computing waits for it rather than computing it again.

The region comes from the browser, so like any callback input it is untrusted: every
server callbacks take the user's jurisdiction from the session (``access.user_scope``) and
narrow it to the requested region (``access.narrow``), which refuses anything outside;
a refused or malformed region answers 403 or 400 and reads nothing (``common.guarded``).
"""

from __future__ import annotations

from datetime import timedelta

import dash_leaflet as dl
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, no_update
from flask import current_app as app_server

import queries
from dashboard import access, ids, pagememo, rewarm
from dashboard import levels as lvmod
from dashboard import overview_data as data
from dashboard import periods as asofmod
from dashboard.callbacks.common import guarded
from dashboard.clock import now_in, store_now, store_zone
from dashboard.i18n import current_lang, t
from dashboard.settings import Settings
from dashboard.store import Store
from dashboard.urls import geo_url, points_url
from layouts import overview as view

# Leave room for the breadcrumb and title (top) and the legend (bottom left) over the map.
FIT_OPTIONS = {"paddingTopLeft": [40, 150], "paddingBottomRight": [40, 60], "animate": False}


def _protected(con):
    """The jurisdiction's protected key-person counts for a user without clearance (the
    screen included), else None: the overview's 重点人群 card and densities read it."""
    from dashboard import privacy

    user = access.current_user()
    if getattr(user, "pii_clearance", False):
        return None
    return privacy.protected_counts(con, access.user_scope().prefix,
                                    privacy.listed_until(con))
def as_of_of(con, settings: Settings, picked, period, zone=None) -> tuple[asofmod.AsOf, str]:
    """The screen's as-of moment and period from the picker and period inputs (untrusted:
    a malformed value is a ``ValueError``, answered 400); ``zone``: the store's time zone
    when the caller has it (else read from the store)."""
    requested = asofmod.parse_asof(picked)
    period = asofmod.parse_period(period)
    now = store_now(con) if zone is None else now_in(zone)
    return data.as_of(con, now, requested, settings.asof_stale_days), period


class Page:
    """What one overview request reads, each part through the page memo.

    Every key starts with the kind of value, then :func:`pagememo.who` (jurisdiction, role,
    clearance) and the store version; the inputs follow. The region in view is resolved
    before anything else, so a region outside the jurisdiction answers 403 first.
    """

    def __init__(self, store: Store, settings: Settings, region, picked, period_key):
        self.store, self.settings = store, settings
        self.con = store.cursor()
        self.who = pagememo.who()
        # the version the request's queries are cached under (pagememo.install), so a page
        # value is never keyed newer than the query results it was made of
        self.version = queries.current().version or store.version()
        self.region = region or None
        self.memo = memo = pagememo.memo_of(app_server)
        user = access.user_scope()
        self.user = user
        self.v = memo.get(("view", self.who, self.version, self.region),
                          lambda: data.view(self.con, user, self.region))
        # the store's zone once per store version (not a query per request)
        self.zone = zone = memo.get(("zone", self.version), lambda: store_zone(self.con))
        clock = now_in(zone).replace(second=0, microsecond=0)
        self.a, self.period = memo.get(
            ("asof", self.who, self.version, picked, period_key, clock,
             settings.asof_stale_days),
            lambda: as_of_of(self.con, settings, picked, period_key, zone))
        self.now = self.a.moment
        self.base = (self.who, self.version, self.region, self.now, self.period,
                     settings.kpi_ontime)

    def get(self, kind: str, compute, *extra, size=None):
        return self.memo.get((kind, *self.base, *extra), compute, size)

    def outputs(self, kind: str, compute, *extra):
        """A callback's finished outputs, memoised as plain JSON values: a repeated click
        skips turning components into JSON, the largest part of a warm answer. Kept with
        the JSON text's length as their size (no walk over the component tree)."""
        return pagememo.json_outputs(self.memo, (kind, *self.base, *extra), compute)

    def protected(self):
        """The masked key-person counts of this user (None with clearance)."""
        return self.get("protected", lambda: _protected(self.con))

    def units(self):
        """The map's units (codes, names, population): the map and the league share them."""
        return self.get("units", lambda: data.units(self.con, self.v))

    def hidden_units(self, codes) -> set[str] | None:
        """The units among ``codes`` whose key-person figures this user may not see: those
        whose count is masked (their densities would give the counts back); None with
        clearance. The map (:meth:`children`) and playback (``callbacks/playback.py``)
        both hide exactly these."""
        table = self.protected()
        if table is None:
            return None
        return {code for code in codes if not isinstance(table.value(code), int)}

    def children(self):
        """The map's units with every indicator, key persons masked without clearance."""
        def compute():
            kids = data.children(self.con, self.v, self.now, self.settings.kpi_ontime,
                                 self.period, kids=self.units())
            hidden = self.hidden_units(kids["short_code"])
            if hidden is not None:
                kids["key_persons"] = [
                    float("nan") if code in hidden else d
                    for code, d in zip(kids["short_code"], kids["key_persons"], strict=True)]
            return kids
        return self.get("children", compute, lvmod.MAX_POLYGONS)

    def league(self):
        return self.get("league", lambda: data.league(
            self.con, self.v, self.now, self.settings.kpi_ontime, self.period,
            kids=self.units()))


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the overview callbacks on ``app``."""

    @app.callback(
        Output(ids.OVERVIEW_REGIONS_GEOJSON, "url"),
        Output(ids.OVERVIEW_REGIONS_GEOJSON, "hideout"),
        Output(ids.OVERVIEW_LEGEND_DIV, "children"),
        Output(ids.OVERVIEW_CRUMBS_NAV, "children"),
        Output(ids.OVERVIEW_TITLE_TEXT, "children"),
        Output(ids.OVERVIEW_PERIOD_TEXT, "children"),
        Output(ids.OVERVIEW_MAP, "viewport"),
        Output(ids.OVERVIEW_INCIDENTS_GEOJSON, "url"),
        Output(ids.OVERVIEW_HAZARDS_GEOJSON, "url"),
        Output(ids.OVERVIEW_BASE_LAYERGROUP, "children"),
        Output(ids.OVERVIEW_REFRESH_INTERVAL, "interval"),
        Input(ids.OVERVIEW_REGION_STORE, "data"),
        Input(ids.OVERVIEW_INDICATOR_RADIO, "value"),
        Input(ids.OVERVIEW_ASOF_PICKER, "date"),
        Input(ids.OVERVIEW_PERIOD_RADIO, "value"),
        Input(ids.OVERVIEW_REFRESH_INTERVAL, "n_intervals"),
    )
    @guarded
    def map_view(region: str | None, indicator: str | None, picked: str | None,
                 period_key: str | None, _tick: int | None):
        indicator = indicator if indicator in data.INDICATORS else "incidents"
        lang = current_lang()
        # the jurisdiction answers first (403), then the other inputs are checked (400)
        page = Page(store, settings, region, picked, period_key)
        v, a, now = page.v, page.a, page.now

        def outputs():
            kids = page.children()
            hideout = view.choropleth(kids, indicator, lang, selected=v.selected)
            d0, d1 = data.period_days(now, page.period)
            period = view.period_text(page.period, d0, d1, None if a.live else a.day, lang)
            if kids.attrs["total"] > len(kids):
                period += t("map.capped", lang, shown=len(kids), total=kids.attrs["total"])
            points = v.child_level == "grid"
            # Points change with every new case: the URL carries the refresh tick, so the
            # browser fetches them again after each refresh rather than reusing a copy.
            stamp = f"{now:%Y%m%d%H%M}"
            target = v.selected or v.map_parent
            chosen = {"asof": picked[:10] if picked else None, "period": page.period}
            incidents = app.get_relative_path(points_url(target, "incident", stamp,
                                                         **chosen)) if points else None
            hazards = app.get_relative_path(points_url(target, "hazard", stamp, **chosen)) \
                if points else None
            return (app.get_relative_path(geo_url(v.map_parent)), hideout,
                    view.legend(hideout, lang), view.breadcrumb(v.crumbs, lang, v.levels.label),
                    t("map.title", lang, name=v.region["name"]), period, incidents, hazards)

        (url, hideout, legend, crumbs, title, period, incidents,
         hazards) = page.outputs("map_out", outputs, indicator, lang, picked, lvmod.MAX_POLYGONS)
        # Anything but a refresh tick sets the view (a new as-of day or period fits the map
        # to the region again, which also keeps the first fit when a control reports its
        # value as the page mounts and supersedes the first response).
        moved = ctx.triggered_id != ids.OVERVIEW_REFRESH_INTERVAL
        base = [dl.TileLayer(url=settings.tile_url)] if settings.tile_url else []
        return (
            url,
            hideout,
            legend,
            crumbs,
            title,
            period,
            {"bounds": v.bounds, "transition": "fitBounds", "options": FIT_OPTIONS}
            if moved and ctx.triggered_id != ids.OVERVIEW_INDICATOR_RADIO else no_update,
            incidents,
            hazards,
            base if moved else no_update,
            max(5, settings.refresh_seconds) * 1000 if moved else no_update,
        )

    @app.callback(
        Output(ids.OVERVIEW_LEAGUE_TITLE, "children"),
        Output(ids.OVERVIEW_LEAGUE_LIST, "children"),
        Output(ids.OVERVIEW_LEAGUE_NOTE, "children"),
        Input(ids.OVERVIEW_REGION_STORE, "data"),
        Input(ids.OVERVIEW_ASOF_PICKER, "date"),
        Input(ids.OVERVIEW_PERIOD_RADIO, "value"),
        Input(ids.OVERVIEW_REFRESH_INTERVAL, "n_intervals"),
    )
    @guarded
    def league(region: str | None, picked: str | None, period_key: str | None,
               _tick: int | None):
        # Apart from the map: scoring all units takes longer than colouring them, and the
        # map of the next level should not wait for the league table.
        lang = current_lang()
        page = Page(store, settings, region, picked, period_key)
        v = page.v

        def outputs():
            return (t("panel.league", lang, level=v.levels.label(v.child_level, lang)),
                    view.league_list(page.league(), lang),
                    t("league.note", lang, period=t(f"period.{page.period}", lang)))

        return tuple(page.outputs("league_out", outputs, lang))

    @app.callback(
        Output(ids.OVERVIEW_CARDS_DIV, "children"),
        Output(ids.OVERVIEW_TREND_STORE, "data"),
        Output(ids.OVERVIEW_ALERT_COUNTS_DIV, "children"),
        Output(ids.OVERVIEW_ALERT_LIST, "children"),
        Output(ids.OVERVIEW_FEED_LIST, "children"),
        Output(ids.OVERVIEW_STALE_DIV, "children"),
        Output(ids.OVERVIEW_STALE_DIV, "hidden"),
        Output(ids.OVERVIEW_STALE_DIV, "className"),
        Output(ids.OVERVIEW_ASOF_TEXT, "children"),
        Output(ids.OVERVIEW_CRITICAL_STORE, "data"),
        Output(ids.OVERVIEW_CARDS_TITLE, "children"),
        Output(ids.OVERVIEW_FEED_TITLE, "children"),
        Output(ids.OVERVIEW_ASOF_PICKER, "placeholder"),
        Output(ids.OVERVIEW_ASOF_PICKER, "max_date_allowed"),
        Output(ids.OVERVIEW_ASOF_PICKER, "initial_visible_month"),
        Input(ids.OVERVIEW_REGION_STORE, "data"),
        Input(ids.OVERVIEW_ASOF_PICKER, "date"),
        Input(ids.OVERVIEW_PERIOD_RADIO, "value"),
        Input(ids.OVERVIEW_REFRESH_INTERVAL, "n_intervals"),
    )
    @guarded
    def panels(region: str | None, picked: str | None, period_key: str | None,
               _tick: int | None):
        lang = current_lang()
        page = Page(store, settings, region, picked, period_key)
        con, v, a, now, period_key = page.con, page.v, page.a, page.now, page.period
        past = None if a.live else a.day

        def outputs():
            got = data.panel_data(con, v.scope, page.user, now, settings.kpi_ontime,
                                  period_key, settings.foresight_threshold,
                                  settings.surge_critical_q)
            cards = got["cards"]
            table = page.protected()
            if table is not None:
                shown = table.value(v.scope.prefix)
                for card in cards:
                    if card["key"] == "key_persons" and isinstance(shown, str):
                        card.update(value=float("nan"), mom=None, yoy=None, light=None,
                                    shown=shown)
            trends = got["trends"]
            counts, items = got["alerts"]
            feed = got["feed"]
            age = None if a.latest is None else (now - a.latest) / timedelta(minutes=1)
            banner, hidden, banner_class = view.status_banner(a, age, settings.stale_minutes,
                                                              lang)
            period_name = t(f"period.{period_key}", lang)
            return (
                view.kpi_cards(cards, lang, region=v.scope.prefix, period=period_key,
                               day=past),
                view.trend_figure_json(trends, lang),
                view.alert_counters(counts, lang),
                view.alert_list(items, lang),
                view.feed_list(feed, lang, day=past),
                banner,
                hidden,
                banner_class,
                view.asof_text(a.latest, lang),
                view.critical_alert(got["critical"], lang),
                t("panel.kpis", lang, period=period_name),
                t("panel.feed_asof", lang, day=past.isoformat()) if past
                else t("panel.feed", lang),
                a.day.isoformat() if not a.live else t("asof.live", lang),
                now_in(page.zone).date().isoformat(),
                a.day.isoformat(),
            )

        return tuple(page.outputs("panels_out", outputs, lang))

    # 即将超期风险 (issue 19): the alerts card's second pane, the stored at-risk queue of the
    # region in view. Its own callback, so the drill's panels answer does not wait for it;
    # it reads foresight_scores only (never rescored here) and is scoped like the others.
    @app.callback(
        Output(ids.OVERVIEW_ALERT_TAB, "options"),
        Output(ids.OVERVIEW_RISK_DIV, "children"),
        Input(ids.OVERVIEW_REGION_STORE, "data"),
        Input(ids.OVERVIEW_ASOF_PICKER, "date"),
        Input(ids.OVERVIEW_PERIOD_RADIO, "value"),
        Input(ids.OVERVIEW_REFRESH_INTERVAL, "n_intervals"),
    )
    @guarded
    def risk(region: str | None, picked: str | None, period_key: str | None,
             _tick: int | None):
        lang = current_lang()
        page = Page(store, settings, region, picked, period_key)

        def outputs():
            if not page.a.live:  # the scores are of the cases open now, not of a past day
                return view.risk_tabs(None, lang), view.risk_pane(None, lang, live=False)
            got = data.at_risk(page.con, page.v.scope, settings.foresight_threshold,
                               view.RISK_ITEMS)
            # unknown only when nothing was ever scored; a region without an open case
            # with a deadline has 0 at the scoring run's moment
            known = got["at_risk"] if got["ever_scored"] else None
            return view.risk_tabs(known, lang), view.risk_pane(got, lang)

        return tuple(page.outputs("risk_out", outputs, lang))

    # the four read the store only: replayed on a new store version (dashboard/rewarm.py)
    rewarm.allow(app.server, ids.OVERVIEW_REGIONS_GEOJSON, ids.OVERVIEW_LEAGUE_LIST,
                 ids.OVERVIEW_CARDS_DIV, ids.OVERVIEW_RISK_DIV)

    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd_overview", function_name="alertTab"),
        Output(ids.OVERVIEW_ALERT_PANE, "hidden"),
        Output(ids.OVERVIEW_RISK_DIV, "hidden"),
        Input(ids.OVERVIEW_ALERT_TAB, "value"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd_overview", function_name="kioskTab"),
        Output(ids.OVERVIEW_ALERT_TAB, "value"),
        Input(ids.OVERVIEW_INDICATOR_RADIO, "value"),
        State(ids.OVERVIEW_KIOSK_STORE, "data"),
    )

    # The as-of day and period a leader picks go back into the URL (without reloading the
    # page), so a reload, a bookmark or a kiosk URL keeps them.
    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd_overview", function_name="syncUrl"),
        Output(ids.OVERVIEW_URL, "search"),
        Input(ids.OVERVIEW_ASOF_PICKER, "date"),
        Input(ids.OVERVIEW_PERIOD_RADIO, "value"),
        prevent_initial_call=True,
    )

    # Plotly sizes fonts and margins in pixels; the page scales in rem. The browser, which
    # knows the screen, scales the figure by the root font size (16 px at 1920×1080).
    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd_overview", function_name="scaleFigure"),
        Output(ids.OVERVIEW_TREND_GRAPH, "figure"),
        Input(ids.OVERVIEW_TREND_STORE, "data"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd_overview", function_name="nav"),
        Output(ids.OVERVIEW_REGION_STORE, "data"),
        Output(ids.OVERVIEW_INDICATOR_RADIO, "value"),
        Output(ids.OVERVIEW_SEEN_STORE, "data"),
        Output(ids.OVERVIEW_CRITICAL_DIV, "children"),
        Output(ids.OVERVIEW_CRITICAL_DIV, "hidden"),
        Input(ids.OVERVIEW_REGIONS_GEOJSON, "n_clicks"),
        Input({"type": ids.OVERVIEW_CRUMB_BUTTON, "code": ALL}, "n_clicks"),
        Input(ids.OVERVIEW_CRITICAL_STORE, "data"),
        Input(ids.OVERVIEW_ROTATE_INTERVAL, "n_intervals"),
        State(ids.OVERVIEW_REGIONS_GEOJSON, "clickData"),
        State(ids.OVERVIEW_REGION_STORE, "data"),
        State(ids.OVERVIEW_INDICATOR_RADIO, "value"),
        State(ids.OVERVIEW_SEEN_STORE, "data"),
        State(ids.OVERVIEW_KIOSK_STORE, "data"),
        prevent_initial_call=True,
    )
