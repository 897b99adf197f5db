"""Callbacks of the overview's time playback (态势回放, :mod:`dashboard.playback`).

* ``frames`` (server): on the play button, or a new region, indicator or step (按日 / 按时)
  while a replay is open (a drill, a kiosk theme), every frame of the screen's period (or
  of the last 72 hours, hour by hour: :func:`dashboard.playback.hourly_frames`) at once,
  with the
  timeline's bars and the replay's legend. Computed through the overview's
  :class:`~dashboard.callbacks.overview.Page` (jurisdiction from the session, the region
  narrowed by ``access.narrow``: 403 outside it, key-person densities masked without
  clearance) and memoised per (who asks, store version, region, period, as-of, indicator,
  language), so a replay on a wall of screens is computed once.
* ``gridcmd_playback.panel`` (clientside, ``assets/gridcmd_playback.js``) shows the panel
  when frames arrive and hides it on close; the player in that file steps, plays, pauses
  and scrubs in the browser without Dash: it restyles the map's region layers in place
  (``gridcmd.map.restyle``) and writes the day, the cards, the cursor and the slider into
  the page. No request and no React render per frame.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update

from dashboard import ids, playback
from dashboard import levels as lvmod
from dashboard import overview_data as data
from dashboard.callbacks.common import guarded
from dashboard.callbacks.overview import Page
from dashboard.i18n import current_lang
from dashboard.settings import Settings
from dashboard.store import Store
from layouts import overview as view


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the playback callbacks on ``app``."""

    @app.callback(
        Output(ids.PLAYBACK_FRAMES_STORE, "data"),
        Output(ids.PLAYBACK_TIMELINE_DIV, "children"),
        Output(ids.PLAYBACK_LEGEND_DIV, "children"),
        Input(ids.PLAYBACK_PLAY_BUTTON, "n_clicks"),
        Input(ids.OVERVIEW_REGION_STORE, "data"),
        Input(ids.OVERVIEW_INDICATOR_RADIO, "value"),
        Input(ids.PLAYBACK_STEP_RADIO, "value"),
        State(ids.OVERVIEW_ASOF_PICKER, "date"),
        State(ids.OVERVIEW_PERIOD_RADIO, "value"),
        State(ids.PLAYBACK_STATE_STORE, "data"),
    )
    @guarded
    def frames(_clicks: int | None, region: str | None, indicator: str | None,
               step: str | None, picked: str | None, period_key: str | None,
               state: dict | None):
        state = state or {}
        trigger = ctx.triggered_id
        active = bool(state.get("active"))
        if trigger == ids.PLAYBACK_PLAY_BUTTON:
            if active:
                return no_update, no_update, no_update  # play/pause is the browser's
        elif trigger is None:
            if not state.get("autoplay"):
                return no_update, no_update, no_update  # the page opens: nothing to replay
        elif not active:
            return no_update, no_update, no_update  # nothing is replaying: read nothing
        if indicator not in data.INDICATORS:
            raise ValueError(f"indicator: expected one of {', '.join(data.INDICATORS)}")
        step = step or "day"
        if step not in playback.STEPS:
            raise ValueError(f"step: expected one of {', '.join(playback.STEPS)}")
        if step == "hour":
            indicator = "incidents"  # an hour's map is the reports of the last 24 hours
        lang = current_lang()
        page = Page(store, settings, region, picked, period_key)

        def outputs():
            kids = page.units().head(lvmod.MAX_POLYGONS)
            if step == "hour":
                got = view.playback_payload(
                    playback.hourly_frames(page.con, page.v, page.now, kids), indicator, lang)
            else:
                hidden = page.hidden_units(kids["short_code"]) \
                    if indicator == "key_persons" else None
                got = view.playback_payload(
                    playback.frames(page.con, page.v, page.now, page.period, indicator, kids,
                                    settings.kpi_ontime, hidden), indicator, lang)
            return (got, view.playback_timeline(got["cards"]["reported"]["values"],
                                                got["days"], lang),
                    view.playback_legend(got, lang))

        return tuple(page.outputs("playback_out", outputs, indicator, step, lang, picked))

    app.clientside_callback(
        ClientsideFunction(namespace="gridcmd_playback", function_name="panel"),
        Output(ids.PLAYBACK_BODY_DIV, "hidden"),
        Output(ids.PLAYBACK_STATE_STORE, "data"),
        Input(ids.PLAYBACK_FRAMES_STORE, "data"),
        Input(ids.PLAYBACK_CLOSE_BUTTON, "n_clicks"),
        State(ids.PLAYBACK_STATE_STORE, "data"),
        prevent_initial_call=True,
    )
