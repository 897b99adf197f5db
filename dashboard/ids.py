"""Component ids, one constant per id, named ``<page>-<thing>-<kind>``.

Callbacks, layouts and browser tests all refer to these constants, so renaming an id is a
one-line change and a typo is an ``AttributeError`` at import rather than a callback that
silently never fires.
"""

from __future__ import annotations

# Shell (present on every page)
SHELL_CLOCK_TEXT = "shell-clock-text"
SHELL_CLOCK_INTERVAL = "shell-clock-interval"

# Overview page (指挥总览)
OVERVIEW_MAP = "overview-map-container"
OVERVIEW_BASE_LAYERGROUP = "overview-base-layergroup"
OVERVIEW_REGIONS_GEOJSON = "overview-regions-geojson"
OVERVIEW_LEGEND_DIV = "overview-legend-div"
OVERVIEW_TITLE_TEXT = "overview-title-text"
OVERVIEW_PERIOD_TEXT = "overview-period-text"
OVERVIEW_TOTAL_VALUE = "overview-total-value"
OVERVIEW_DAILY_VALUE = "overview-daily-value"
OVERVIEW_TOP_VALUE = "overview-top-value"
OVERVIEW_RANKING_LIST = "overview-ranking-list"
OVERVIEW_ASOF_TEXT = "overview-asof-text"
OVERVIEW_REFRESH_INTERVAL = "overview-refresh-interval"
