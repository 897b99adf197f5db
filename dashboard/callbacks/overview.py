"""Callbacks of the overview page: recent cases per county-level region, map and ranking."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import dash_leaflet as dl
import pandas as pd
import shapely
from dash import Dash, Input, Output, ctx, no_update

from dashboard import ids
from dashboard.routes import geo_url
from dashboard.settings import Settings
from dashboard.store import TIMEZONE, Store
from layouts import overview as view
from queries import run

TZ = ZoneInfo(TIMEZONE)
# Leave room for the title block (top left) and the legend (bottom left) over the map.
FIT_OPTIONS = {"paddingTopLeft": [60, 110], "paddingBottomRight": [40, 40], "animate": False}


def city_code(city: str) -> str:
    """The 12-digit code of a city given by its 4-digit short code (``3206`` → ``320600…``).

    Raises
    ------
    ValueError
        For anything but four digits: the value becomes a ``LIKE`` prefix and a URL.
    """
    if not (len(city) == 4 and city.isdigit()):
        raise ValueError(f"setting city: expected a 4-digit city code, got {city!r}")
    return city.ljust(12, "0")


def now_local() -> datetime:
    """Wall-clock time in Asia/Shanghai, naive, as the store's TIMESTAMP columns hold it."""
    return datetime.now(TZ).replace(tzinfo=None)


def recent_window(now: datetime, days: int = view.WINDOW_DAYS) -> tuple[datetime, datetime]:
    """The last ``days`` calendar days up to and including ``now``'s day, as ``[since, until)``.

    Whole days rather than a rolling 720 hours: the figure then stays put within a day and
    matches what people count by hand from a daily report.
    """
    today = now.date()
    since = datetime.combine(today - timedelta(days=days - 1), time())
    until = datetime.combine(today + timedelta(days=1), time())
    return since, until


def county_counts(con, city: str, since: datetime, until: datetime) -> pd.DataFrame:
    """Non-void cases reported in ``[since, until)`` per county-level region of ``city``.

    ``since`` and ``until`` are midnights (see :func:`recent_window`), so the count comes
    from the daily summary table rather than a scan of raw incidents.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``short_code``, ``name``, ``incidents``; every county-level region, highest
        count first.
    """
    return run(con, "incidents_by_county", city_prefix=city, since=since, until=until)


def map_viewport(geometry: bytes | bytearray) -> dict:
    """A ``viewport`` that fits the map to a region's outline (bounds only, no geometry)."""
    minx, miny, maxx, maxy = shapely.bounds(shapely.from_wkb(bytes(geometry))).tolist()
    return {
        "bounds": [[miny, minx], [maxy, maxx]],
        "transition": "fitBounds",
        "options": FIT_OPTIONS,
    }


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the overview callback on ``app``.

    One callback fills the page. Its first call (on page load) also sets up what a layout
    cannot know, being a pure function without settings: the city's layer URL and view,
    the optional intranet tile layer and the refresh period. Later calls, from the refresh
    timer, only update the figures, so a user's pan and zoom are left alone.
    """
    city = settings.city
    code = city_code(city)

    @app.callback(
        Output(ids.OVERVIEW_REGIONS_GEOJSON, "hideout"),
        Output(ids.OVERVIEW_LEGEND_DIV, "children"),
        Output(ids.OVERVIEW_RANKING_LIST, "children"),
        Output(ids.OVERVIEW_TOTAL_VALUE, "children"),
        Output(ids.OVERVIEW_DAILY_VALUE, "children"),
        Output(ids.OVERVIEW_TOP_VALUE, "children"),
        Output(ids.OVERVIEW_PERIOD_TEXT, "children"),
        Output(ids.OVERVIEW_ASOF_TEXT, "children"),
        Output(ids.OVERVIEW_TITLE_TEXT, "children"),
        Output(ids.OVERVIEW_REGIONS_GEOJSON, "url"),
        Output(ids.OVERVIEW_MAP, "viewport"),
        Output(ids.OVERVIEW_BASE_LAYERGROUP, "children"),
        Output(ids.OVERVIEW_REFRESH_INTERVAL, "interval"),
        Input(ids.OVERVIEW_REFRESH_INTERVAL, "n_intervals"),
    )
    def refresh_overview(_n_intervals):
        con = store.cursor()
        since, until = recent_window(now_local())
        counts = county_counts(con, city, since, until)
        rows = counts.to_dict("records")
        hideout = view.choropleth(dict(zip(counts["code"], counts["incidents"], strict=True)))
        total = int(counts["incidents"].sum())
        leader = rows[0]["name"] if rows and total else "–"
        last_day = until - timedelta(days=1)
        period = (
            f"{since:%Y年%m月%d日} 至 {last_day:%Y年%m月%d日}"
            f" · 近{view.WINDOW_DAYS}天上报（不含作废）"
        )
        built = store.meta().get("built_at", "")
        asof = f"数据更新：{built[:16].replace('T', ' ')}" if built else ""
        figures = (
            hideout,
            view.legend(hideout),
            view.ranking(rows, hideout),
            view.format_count(total),
            view.format_count(round(total / view.WINDOW_DAYS)),
            leader,
            period,
            asof,
        )
        if ctx.triggered_id == ids.OVERVIEW_REFRESH_INTERVAL:
            return (*figures, *([no_update] * 5))
        region = run(con, "region", code=code)
        if region.empty:
            raise ValueError(f"the store has no region {code} (setting city={city!r})")
        base = [dl.TileLayer(url=settings.tile_url)] if settings.tile_url else []
        return (
            *figures,
            f"{region.at[0, 'name']} · 事件态势",
            app.get_relative_path(geo_url(code)),
            map_viewport(region.at[0, "geometry"]),
            base,
            max(5, settings.refresh_seconds) * 1000,
        )
