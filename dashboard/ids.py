"""Component ids, one constant per id, named ``<page>-<thing>-<kind>``.

Callbacks, layouts and browser tests all refer to these constants, so renaming an id is a
one-line change and a typo is an ``AttributeError`` at import rather than a callback that
silently never fires.
"""

from __future__ import annotations

# Shell (present on every page)
SHELL_CLOCK_TEXT = "shell-clock-text"
SHELL_CLOCK_INTERVAL = "shell-clock-interval"
SHELL_LANG_LINK = "shell-lang-link"
SHELL_LANG_STORE = "shell-lang-store"
SHELL_USER_TEXT = "shell-user-text"
SHELL_AREA_MENU = "shell-area-menu"
SHELL_LOGOUT_LINK = "shell-logout-link"
SHELL_NAV_LINK = "shell-nav-link"  # pattern-matching type, keys ``page``, ``analysis`` ("1"/"0")
SHELL_NAV_STORE = "shell-nav-store"  # the nav links' base paths, in order

# Overview page (指挥总览)
OVERVIEW_MAP = "overview-map-container"
OVERVIEW_BASE_LAYERGROUP = "overview-base-layergroup"
OVERVIEW_REGIONS_GEOJSON = "overview-regions-geojson"
OVERVIEW_INCIDENTS_GEOJSON = "overview-incidents-geojson"
OVERVIEW_HAZARDS_GEOJSON = "overview-hazards-geojson"
OVERVIEW_LEGEND_DIV = "overview-legend-div"
OVERVIEW_HOVER_DIV = "overview-hover-div"
OVERVIEW_CRUMBS_NAV = "overview-crumbs-nav"
OVERVIEW_CRUMB_BUTTON = "overview-crumb-button"  # pattern-matching type, key ``code``
OVERVIEW_TITLE_TEXT = "overview-title-text"
OVERVIEW_PERIOD_TEXT = "overview-period-text"
OVERVIEW_INDICATOR_RADIO = "overview-indicator-radio"
OVERVIEW_STALE_DIV = "overview-stale-div"
OVERVIEW_CRITICAL_DIV = "overview-critical-div"
OVERVIEW_KIOSK_TEXT = "overview-kiosk-text"
OVERVIEW_ASOF_TEXT = "overview-asof-text"
OVERVIEW_CARDS_DIV = "overview-cards-div"
OVERVIEW_KPI_CARD = "overview-kpi-card"  # pattern-matching type, key ``key``
OVERVIEW_TREND_GRAPH = "overview-trend-graph"
OVERVIEW_TREND_STORE = "overview-trend-store"  # the figure at 1920×1080 size, before scaling
OVERVIEW_ALERT_COUNTS_DIV = "overview-alert-counts-div"
OVERVIEW_ALERT_COUNT = "overview-alert-count"  # pattern-matching type, key ``kind``
OVERVIEW_ALERT_LIST = "overview-alert-list"
OVERVIEW_ALERT_TAB = "overview-alert-tab"  # 预警提醒 | 即将超期风险 (the card's two panes)
OVERVIEW_ALERT_PANE = "overview-alert-pane"  # the counters and the alert list
OVERVIEW_RISK_DIV = "overview-risk-div"  # the stored at-risk queue (issue 19)
OVERVIEW_FEED_LIST = "overview-feed-list"
OVERVIEW_LEAGUE_TITLE = "overview-league-title"
OVERVIEW_LEAGUE_LIST = "overview-league-list"
OVERVIEW_REGION_STORE = "overview-region-store"
OVERVIEW_CRITICAL_STORE = "overview-critical-store"
OVERVIEW_SEEN_STORE = "overview-seen-store"
OVERVIEW_KIOSK_STORE = "overview-kiosk-store"
OVERVIEW_REFRESH_INTERVAL = "overview-refresh-interval"
OVERVIEW_ROTATE_INTERVAL = "overview-rotate-interval"
OVERVIEW_URL = "overview-url-location"  # asof and period written back to the URL
OVERVIEW_ASOF_PICKER = "overview-asof-picker"
OVERVIEW_PERIOD_RADIO = "overview-period-radio"
OVERVIEW_CARDS_TITLE = "overview-cards-title"
OVERVIEW_FEED_TITLE = "overview-feed-title"
OVERVIEW_LEAGUE_NOTE = "overview-league-note"

# Time playback on the overview (态势回放, dashboard/playback.py)
PLAYBACK_DIV = "overview-playback-panel-div"
PLAYBACK_PLAY_BUTTON = "overview-playback-play-button"
PLAYBACK_CLOSE_BUTTON = "overview-playback-close-button"
PLAYBACK_BODY_DIV = "overview-playback-body-div"
PLAYBACK_DAY_TEXT = "overview-playback-day-text"
PLAYBACK_NOTE_TEXT = "overview-playback-note-text"
PLAYBACK_CARD_TEXT = "overview-playback-card-{key}-text"  # .format(key=one of playback.CARD_KEYS)
PLAYBACK_TIMELINE_DIV = "overview-playback-timeline-div"
PLAYBACK_CURSOR_DIV = "overview-playback-cursor-div"
PLAYBACK_LEGEND_DIV = "overview-playback-legend-div"
PLAYBACK_SLIDER = "overview-playback-frame-slider"  # the player puts a range input in it
PLAYBACK_FRAMES_STORE = "overview-playback-frames-store"
PLAYBACK_STATE_STORE = "overview-playback-state-store"
PLAYBACK_STEP_RADIO = "overview-playback-step-radio"  # day | hour (dashboard/playback.STEPS)

# Analyst workbench: cases (事件分析); the filter bar ids are shared by analysis pages
FILTER_URL = "filter-url-location"
FILTER_PERIOD_DROPDOWN = "filter-period-dropdown"
FILTER_DATES_PICKER = "filter-dates-picker"
FILTER_REGION_DROPDOWN = "filter-region-dropdown"
FILTER_CATEGORY_DROPDOWN = "filter-category-dropdown"
FILTER_SOURCE_DROPDOWN = "filter-source-dropdown"
FILTER_STATUS_DROPDOWN = "filter-status-dropdown"
FILTER_HTYPE_DROPDOWN = "filter-htype-dropdown"
FILTER_RISK_DROPDOWN = "filter-risk-dropdown"
FILTER_PCAT_DROPDOWN = "filter-pcat-dropdown"
FILTER_STYPE_DROPDOWN = "filter-stype-dropdown"
FILTER_PAGE_STORE = "filter-page-store"  # which analysis page the bar is on
FILTER_GRIDS_STORE = "filter-grids-store"
FILTER_RESET_BUTTON = "filter-reset-button"
FILTER_CHIPS_DIV = "filter-chips-div"
FILTER_CHIP_BUTTON = "filter-chip-button"  # pattern-matching type, keys ``field``, ``value``
FILTER_ERROR_DIV = "filter-error-div"
CASES_TOTAL_TEXT = "cases-total-text"
CASES_MAP = "cases-map-container"
CASES_TABLE = "cases-case-table"
CASES_DETAIL_DIV = "cases-detail-div"
CASES_PROFILE_DIV = "cases-profile-div"
CASES_EXPORT_CSV_LINK = "cases-export-csv-link"
CASES_EXPORT_XLSX_LINK = "cases-export-xlsx-link"

# Data quality (数据质量, /quality); its map is {"type": XFILTER_MAP, "name": "quality"}
QUALITY_TOTAL_TEXT = "quality-total-text"
QUALITY_CARDS_DIV = "quality-cards-div"
QUALITY_HELP_SUMMARY = "quality-help-summary"
QUALITY_MAP = "quality-map-container"
QUALITY_REGIONS_DIV = "quality-regions-div"
QUALITY_ISSUES_GRAPH = "quality-issues-graph"
QUALITY_POINTS_DIV = "quality-points-div"
QUALITY_IMPORTS_DIV = "quality-imports-div"
QUALITY_RULES_GRAPH = "quality-rules-graph"

# Cross-filtering components (any analysis page)
# pattern-matching types: a chart that filters (keys ``field``, ``page``), a map layer that
# filters (key ``name``, the page)
XFILTER_GRAPH = "xfilter-graph"
XFILTER_MAP = "xfilter-map"
XFILTER_DRAW = "xfilter-draw"  # pattern-matching type, key ``name`` (the page): box/lasso on a map


def page_id(page: str, thing: str, kind: str) -> str:
    """The id ``<page>-<thing>-<kind>`` of a component of an analysis page (隐患, 重点人群 …):
    their layouts and callbacks are generated from one page description, so the ids are
    too; the page prefix is what the auth layer reads to decide who may call a callback."""
    return f"{page}-{thing}-{kind}"
