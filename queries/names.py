"""Query names: one constant per file under queries/ (add the constant by hand, in
alphabetical order, with each new file).

Code names a query only through these constants, so ``grep -rn overview/alerts``
finds its file and every use. Families of queries chosen by a word at run time
(a kind, a family, a table) are dicts from that word to the name."""

ANALYSIS_BATCH_NEW = "analysis/batch_new"
ANALYSIS_BATCH_TOUCHED = "analysis/batch_touched"
ANALYSIS_FACETS_FILL = "analysis/facets_fill"
ANALYSIS_FACETS_SCHEMA = "analysis/facets_schema"
ANALYSIS_FILL = "analysis/fill"
ANALYSIS_LINKAGE_ROWS = "analysis/linkage_rows"
ANALYSIS_NEW_APPEND = "analysis/new_append"
ANALYSIS_NEW_CASES = "analysis/new_cases"
ANALYSIS_PERIOD_ADD = "analysis/period_add"
ANALYSIS_PERIOD_FILL = "analysis/period_fill"
ANALYSIS_PERIOD_SCHEMA = "analysis/period_schema"
ANALYSIS_RANKS_ADD = "analysis/ranks_add"
ANALYSIS_RANKS_FILL = "analysis/ranks_fill"
ANALYSIS_RANKS_ORDER = "analysis/ranks_order"
ANALYSIS_RANKS_ROWS = "analysis/ranks_rows"
ANALYSIS_RANKS_SCHEMA = "analysis/ranks_schema"
ANALYSIS_REPEAT_ADD = "analysis/repeat_add"
ANALYSIS_REPEAT_FILL = "analysis/repeat_fill"
ANALYSIS_REPEAT_ROWS = "analysis/repeat_rows"
ANALYSIS_REPEAT_SCHEMA = "analysis/repeat_schema"
ANALYSIS_SATISFACTION_FILL = "analysis/satisfaction_fill"
ANALYSIS_SATISFACTION_SCHEMA = "analysis/satisfaction_schema"
ANALYSIS_SCHEMA = "analysis/schema"
ANALYSIS_SURVEYS_CHANGED = "analysis/surveys_changed"
ANALYSIS_SURVEYS_NEW = "analysis/surveys_new"
ANALYSIS_TIMELINESS_ROWS = "analysis/timeliness_rows"
ANALYSIS_TOUCHED = "analysis/touched"
CASES_BY_NUMBER = "cases/by_number"
CASES_CSV_LINES = "cases/csv_lines"
CASES_DETAIL = "cases/detail"
CASES_EXPORT_DAYS = "cases/export_days"
CASES_EXPORT_LINES = "cases/export_lines"
CASES_FACETS = "cases/facets"
CASES_FACETS_CITY = "cases/facets_city"
CASES_FILTERED = "cases/filtered"
CASES_HISTORY = "cases/history"
CASES_PAGE = "cases/page"
CASES_STATUS_AT = "cases/status_at"
CASES_WINDOW_AT = "cases/window_at"
DEMO_INSERT_ESCALATIONS = "demo/insert_escalations"
DEMO_INSERT_HAZARDS = "demo/insert_hazards"
DEMO_INSERT_INCIDENTS = "demo/insert_incidents"
FORESIGHT_ACTIVE_MODEL = "foresight/active_model"
FORESIGHT_BATCHES = "foresight/batches"
FORESIGHT_BATCHES_FOLLOWED = "foresight/batches_followed"
FORESIGHT_BOUNDS = "foresight/bounds"
FORESIGHT_CASES = "foresight/cases"
FORESIGHT_CASE_ROWS = "foresight/case_rows"
FORESIGHT_QUEUE_SPANS = "foresight/queue_spans"
FORESIGHT_RISK_ALERTS = "foresight/risk_alerts"
FORESIGHT_RISK_PANEL = "foresight/risk_panel"
FORESIGHT_SCHEMA = "foresight/schema"
FORESIGHT_STRATA = "foresight/strata"
FORESIGHT_SURGE_ALERTS = "foresight/surge_alerts"
FORESIGHT_SURGE_COUNT = "foresight/surge_count"
FORESIGHT_SURGE_COUNTS = "foresight/surge_counts"
FORESIGHT_SURGE_HOURS = "foresight/surge_hours"
FORESIGHT_SURGE_MONTHS = "foresight/surge_months"
FORESIGHT_SURGE_REGIONS = "foresight/surge_regions"
FORESIGHT_TRAINING_CASES = "foresight/training_cases"
INGEST_ADD_INCIDENT_SUMS = "ingest/add_incident_sums"
INGEST_ADDITIVE_INCIDENTS = "ingest/additive_incidents"
INGEST_ADDITIVE_VILLAGE = "ingest/additive_village"
INGEST_APPLY_LEVEL_DAILY = "ingest/apply_level_daily"
INGEST_BATCH_DONE = "ingest/batch_done"
INGEST_CLEAN_AREA_SURVEYS = "ingest/clean_area_surveys"
INGEST_CLEAN_HAZARDS = "ingest/clean_hazards"
INGEST_CLEAN_INCIDENTS = "ingest/clean_incidents"
INGEST_CLEAN_KEY_PERSONS = "ingest/clean_key_persons"
INGEST_CLEAN_SENSOR_READINGS = "ingest/clean_sensor_readings"
INGEST_CLEAN_SURVEYS = "ingest/clean_surveys"
INGEST_CLEAN_VISITS = "ingest/clean_visits"
INGEST_DIFF_AREA_SURVEYS = "ingest/diff_area_surveys"
INGEST_DIFF_HAZARDS = "ingest/diff_hazards"
INGEST_DIFF_INCIDENTS = "ingest/diff_incidents"
INGEST_DIFF_KEY_PERSONS = "ingest/diff_key_persons"
INGEST_DIFF_SENSOR_READINGS = "ingest/diff_sensor_readings"
INGEST_DIFF_SURVEYS = "ingest/diff_surveys"
INGEST_DIFF_VISITS = "ingest/diff_visits"
INGEST_GRID_POLYGONS = "ingest/grid_polygons"
INGEST_KEY_AREA_SURVEYS = "ingest/key_area_surveys"
INGEST_LOG_BATCH = "ingest/log_batch"
INGEST_LOG_QUALITY = "ingest/log_quality"
INGEST_MACROS = "ingest/macros"
INGEST_PLACED_GRID = "ingest/placed_grid"
INGEST_PLACED_POINT = "ingest/placed_point"
INGEST_POINT_QUALITY = "ingest/point_quality"
INGEST_REFRESH_AREA_SURVEY_DAILY = "ingest/refresh_area_survey_daily"
INGEST_REFRESH_ESCALATION_DAILY = "ingest/refresh_escalation_daily"
INGEST_REFRESH_HAZARD_DAILY = "ingest/refresh_hazard_daily"
INGEST_REFRESH_INCIDENT_DAILY = "ingest/refresh_incident_daily"
INGEST_REFRESH_INCIDENT_MONTHLY = "ingest/refresh_incident_monthly"
INGEST_REFRESH_KEY_PERSON_DAILY = "ingest/refresh_key_person_daily"
INGEST_REFRESH_KEYS = "ingest/refresh_keys"
INGEST_REFRESH_SURVEY_DAILY = "ingest/refresh_survey_daily"
INGEST_REFRESH_VILLAGE_DAILY = "ingest/refresh_village_daily"
INGEST_REFRESH_VISIT_DAILY = "ingest/refresh_visit_daily"
INGEST_REPLACE_AREA_SURVEYS = "ingest/replace_area_surveys"
INGEST_REPLACE_HAZARDS = "ingest/replace_hazards"
INGEST_REPLACE_INCIDENTS = "ingest/replace_incidents"
INGEST_REPLACE_KEY_PERSONS = "ingest/replace_key_persons"
INGEST_REPLACE_SENSOR_READINGS = "ingest/replace_sensor_readings"
INGEST_REPLACE_SURVEYS = "ingest/replace_surveys"
INGEST_REPLACE_VISITS = "ingest/replace_visits"
INGEST_RETAG_AREA_SURVEYS = "ingest/retag_area_surveys"
INGEST_RETAG_HAZARDS = "ingest/retag_hazards"
INGEST_RETAG_INCIDENTS = "ingest/retag_incidents"
INGEST_RETAG_KEY_PERSONS = "ingest/retag_key_persons"
INGEST_RETAG_SENSOR_READINGS = "ingest/retag_sensor_readings"
INGEST_RETAG_SURVEYS = "ingest/retag_surveys"
INGEST_RETAG_VISITS = "ingest/retag_visits"
INGEST_TOUCHED_AREA_SURVEYS = "ingest/touched_area_surveys"
INGEST_TOUCHED_HAZARDS = "ingest/touched_hazards"
INGEST_TOUCHED_INCIDENTS = "ingest/touched_incidents"
INGEST_TOUCHED_KEY_PERSONS = "ingest/touched_key_persons"
INGEST_TOUCHED_SURVEYS = "ingest/touched_surveys"
INGEST_TOUCHED_VISITS = "ingest/touched_visits"
INGEST_UNKNOWN_MAJORS = "ingest/unknown_majors"
INGEST_UNKNOWN_VALUES = "ingest/unknown_values"
INGEST_VILLAGE_DELTA = "ingest/village_delta"
INGEST_WRITE_AREA_SURVEYS = "ingest/write_area_surveys"
INGEST_WRITE_HAZARDS = "ingest/write_hazards"
INGEST_WRITE_INCIDENTS = "ingest/write_incidents"
INGEST_WRITE_KEY_PERSONS = "ingest/write_key_persons"
INGEST_WRITE_SENSOR_READINGS = "ingest/write_sensor_readings"
INGEST_WRITE_SURVEYS = "ingest/write_surveys"
INGEST_WRITE_VISITS = "ingest/write_visits"
KPI_ALERT_SERIES = "kpi/alert_series"
KPI_AREA_SURVEY_SERIES = "kpi/area_survey_series"
KPI_DEPARTMENT_MEASURES = "kpi/department_measures"
KPI_DRILL_ALERTS = "kpi/drill_alerts"
KPI_DRILL_AREA_SURVEYS = "kpi/drill_area_surveys"
KPI_DRILL_ESCALATIONS = "kpi/drill_escalations"
KPI_DRILL_HAZARDS = "kpi/drill_hazards"
KPI_DRILL_INCIDENTS = "kpi/drill_incidents"
KPI_DRILL_KEY_PERSONS = "kpi/drill_key_persons"
KPI_DRILL_SURVEYS = "kpi/drill_surveys"
KPI_DRILL_VISITS = "kpi/drill_visits"
KPI_ESCALATION_SERIES = "kpi/escalation_series"
KPI_HAZARD_SERIES = "kpi/hazard_series"
KPI_INCIDENT_QUANTILES = "kpi/incident_quantiles"
KPI_DURATION_QUANTILES = "kpi/duration_quantiles"  # slot measure: handle | close
KPI_DURATION_BINS = "kpi/duration_bins"  # slot measure: handle | close
KPI_DURATION_BIN_VALUES = "kpi/duration_bin_values"  # slot measure: handle | close
KPI_DURATION_ROWS = "kpi/duration_rows"  # included by kpi/incident_quantiles, rank_edges
KPI_RANK_BINS = "kpi/rank_bins"
KPI_RANK_EDGES = "kpi/rank_edges"
KPI_RANK_VALUES = "kpi/rank_values"
KPI_INCIDENT_SERIES = "kpi/incident_series"
KPI_KEY_PERSON_SERIES = "kpi/key_person_series"
KPI_LEVEL_SERIES = "kpi/level_series"
KPI_ROLLUP_HORIZON = "kpi/rollup_horizon"
KPI_SURVEY_SERIES = "kpi/survey_series"
KPI_VISIT_SERIES = "kpi/visit_series"
MAPS_POINTS_HAZARD = "maps/points_hazard"
MAPS_POINTS_INCIDENT = "maps/points_incident"
MAPS_POINTS_SENSOR = "maps/points_sensor"
MYGRID_ALERTS = "mygrid/alerts"
MYGRID_CASES = "mygrid/cases"
MYGRID_GRIDS = "mygrid/grids"
MYGRID_HAZARDS = "mygrid/hazards"
MYGRID_VILLAGE_GRIDS = "mygrid/village_grids"
MYGRID_VISITS = "mygrid/visits"
OVERVIEW_ALERTS = "overview/alerts"
OVERVIEW_CASE_POINTS = "overview/case_points"
OVERVIEW_CHILDREN = "overview/children"
OVERVIEW_CRITICAL = "overview/critical"
OVERVIEW_COVER = "overview/cover"
OVERVIEW_FEED = "overview/feed"
OVERVIEW_FEED_NAMES = "overview/feed_names"
OVERVIEW_GRID = "overview/grid"
OVERVIEW_ITEMS_ASOF = "overview/items_asof"
OVERVIEW_ITEMS_BATCH_CASES = "overview/items_batch_cases"
OVERVIEW_ITEMS_FILL = "overview/items_fill"
OVERVIEW_ITEMS_NEWEST = "overview/items_newest"
OVERVIEW_ITEMS_RANK = "overview/items_rank"
OVERVIEW_ITEMS_RANKED = "overview/items_ranked"
OVERVIEW_ITEMS_ROWS = "overview/items_rows"
OVERVIEW_ITEMS_SCHEMA = "overview/items_schema"
OVERVIEW_ITEMS_TOUCHED = "overview/items_touched"
OVERVIEW_ITEMS_UPDATE = "overview/items_update"
OVERVIEW_LATEST = "overview/latest"
OVERVIEW_LINEAGE = "overview/lineage"
OVERVIEW_OPEN_ITEMS = "overview/open_items"
OVERVIEW_PANEL_ITEMS = "overview/panel_items"
OVERVIEW_PLAYBACK_HOUR_CARDS = "overview/playback_hour_cards"
OVERVIEW_PLAYBACK_HOUR_UNITS = "overview/playback_hour_units"
OVERVIEW_POINTS = "overview/points"
OVERVIEW_TABLES_SCHEMA = "overview/tables_schema"
PERSONS_COUNTS = "persons/counts"
PERSONS_COUNTS_AT = "persons/counts_at"
PERSONS_COUNTS_STAMP = "persons/counts_stamp"
PERSONS_DETAIL = "persons/detail"
PERSONS_FILTERED = "persons/filtered"
PERSONS_LIST = "persons/list"
QUALITY_IMPORTS = "quality/imports"
QUALITY_OUTSIDE = "quality/outside"
QUALITY_POINTS = "quality/points"
QUALITY_QUARANTINE = "quality/quarantine"
QUALITY_REGIONS = "quality/regions"
QUALITY_TIMEZONES = "quality/timezones"
QUALITY_UNITS = "quality/units"
REGION_AREA_NAMES = "region/area_names"
REGION_CHILDREN = "region/children"
REGION_CODE_MAP_CODES = "region/code_map_codes"
REGION_CODE_MAP_LOOKUP = "region/code_map_lookup"
REGION_CODE_MAP_SCHEMA = "region/code_map_schema"
REGION_CODE_MAP_SOURCE = "region/code_map_source"
REGION_GRID_CHILDREN = "region/grid_children"
REGION_GRID_CODES = "region/grid_codes"
REGION_GRID_POINTS = "region/grid_points"
REGION_GRID_PROFILE = "region/grid_profile"
REGION_LOOKUP = "region/lookup"
REGION_META_LEVELS = "region/meta_levels"
REGION_PASSTHROUGH_CHILD = "region/passthrough_child"
REGION_REGION = "region/region"
REGION_SEARCH = "region/search"
REGION_SEARCH_CODE = "region/search_code"
REGION_UNIT_NAMES = "region/unit_names"
REPORT_CATEGORIES = "report/categories"
REPORT_HISTORY = "report/history"
REPORT_OVERDUE = "report/overdue"
REPORT_SUBREGION_NAMES = "report/subregion_names"
REPORT_LATE = "report/late"
REPORT_LEVEL_REGIONS = "report/level_regions"
STORE_BLOCKS = "store/blocks"
STORE_BUMP_VERSION = "store/bump_version"
STORE_LIST_TABLES = "store/list_tables"
STORE_SCHEMA = "store/schema"
STORE_TIMEZONE = "store/timezone"
STORE_VERSION = "store/version"
SUMMARY_ALERT_DAILY = "summary/alert_daily"
SUMMARY_AREA_SURVEY_DAILY = "summary/area_survey_daily"
SUMMARY_AREA_SURVEY_DAILY_ROWS = "summary/area_survey_daily_rows"
SUMMARY_CASE_DURATIONS = "summary/case_durations"
SUMMARY_CASE_TABLE_ROWS = "summary/case_table_rows"
SUMMARY_CASE_TABLES_NEW = "summary/case_tables_new"
SUMMARY_CASE_TABLES_TOUCHED = "summary/case_tables_touched"
SUMMARY_CASE_WINDOW = "summary/case_window"
SUMMARY_CASE_WINDOW_KEPT = "summary/case_window_kept"
SUMMARY_DURATIONS_NEW_CASES = "summary/durations_new_cases"
SUMMARY_DURATION_BIN = "summary/duration_bin"
SUMMARY_DURATIONS_OF_CASES = "summary/durations_of_cases"
SUMMARY_DURATIONS_TOUCHED = "summary/durations_touched"
SUMMARY_ESCALATION_DAILY = "summary/escalation_daily"
SUMMARY_HAZARD_DAILY = "summary/hazard_daily"
SUMMARY_HAZARD_DAILY_ROWS = "summary/hazard_daily_rows"
SUMMARY_INCIDENT_DAILY = "summary/incident_daily"
SUMMARY_INCIDENT_DAILY_PART = "summary/incident_daily_part"
SUMMARY_INCIDENT_DAILY_ROWS = "summary/incident_daily_rows"
SUMMARY_INCIDENT_GRID_COUNTS = "summary/incident_grid_counts"
SUMMARY_INCIDENT_MONTHLY = "summary/incident_monthly"
SUMMARY_KEY_PERSON_DAILY = "summary/key_person_daily"
SUMMARY_LEVEL_DAILY = "summary/level_daily"
SUMMARY_LEVEL_ROLLUP_INSERT = "summary/level_rollup_insert"
SUMMARY_MONTH_STARTS = "summary/month_starts"
SUMMARY_OPEN_ALERTS = "summary/open_alerts"
SUMMARY_OPEN_CASE_ROWS = "summary/open_case_rows"
SUMMARY_OPEN_CASES = "summary/open_cases"
SUMMARY_OPEN_HAZARDS = "summary/open_hazards"
SUMMARY_RECENT_CASE_ROWS = "summary/recent_case_rows"
SUMMARY_RECENT_CASES = "summary/recent_cases"
SUMMARY_SCHEMA = "summary/schema"
SUMMARY_SURVEY_DAILY = "summary/survey_daily"
SUMMARY_SURVEY_DAILY_ROWS = "summary/survey_daily_rows"
SUMMARY_VILLAGE_DAILY = "summary/village_daily"
SUMMARY_VILLAGE_NETS = "summary/village_nets"
SUMMARY_VISIT_DAILY = "summary/visit_daily"
TAXONOMY_CATEGORY_NAMES = "taxonomy/category_names"
TAXONOMY_CATEGORY_OPTIONS = "taxonomy/category_options"
TAXONOMY_VALUES = "taxonomy/values"
THEME_AREA_SURVEYS = "theme/area_surveys"
THEME_CASE_KEYS = "theme/case_keys"
THEME_HAZARD_FACETS = "theme/hazard_facets"
THEME_HAZARD_OVERDUE = "theme/hazard_overdue"
THEME_HAZARDS_FILTERED = "theme/hazards_filtered"
THEME_IOT = "theme/iot"
THEME_IOT_ALERTS = "theme/iot_alerts"
THEME_LINKAGE = "theme/linkage"
THEME_LINKAGE_CITY = "theme/linkage_city"
THEME_LINKAGE_PENDING = "theme/linkage_pending"
THEME_OPEN_LIGHTS = "theme/open_lights"
THEME_PERSON_FACETS = "theme/person_facets"
THEME_PERSON_LIST = "theme/person_list"
THEME_REPEAT_PLACES = "theme/repeat_places"
THEME_REPEAT_PLACES_BOUND = "theme/repeat_places_bound"
THEME_REPEAT_PLACES_TABLE = "theme/repeat_places_table"
THEME_SATISFACTION = "theme/satisfaction"
THEME_SATISFACTION_CITY = "theme/satisfaction_city"
THEME_SENSORS_FILTERED = "theme/sensors_filtered"
THEME_TIMELINESS_CASES = "theme/timeliness_cases"
THEME_TIMELINESS_CITY = "theme/timeliness_city"
THEME_TIMELINESS_LABELS = "theme/timeliness_labels"

# family: f"ingest_clean_{…}" (flat names before the move)
INGEST_CLEAN: dict[str, str] = {
    "area_surveys": "ingest/clean_area_surveys",
    "hazards": "ingest/clean_hazards",
    "incidents": "ingest/clean_incidents",
    "key_persons": "ingest/clean_key_persons",
    "sensor_readings": "ingest/clean_sensor_readings",
    "surveys": "ingest/clean_surveys",
    "visits": "ingest/clean_visits",
}

# family: f"ingest_diff_{…}" (flat names before the move)
INGEST_DIFF: dict[str, str] = {
    "area_surveys": "ingest/diff_area_surveys",
    "hazards": "ingest/diff_hazards",
    "incidents": "ingest/diff_incidents",
    "key_persons": "ingest/diff_key_persons",
    "sensor_readings": "ingest/diff_sensor_readings",
    "surveys": "ingest/diff_surveys",
    "visits": "ingest/diff_visits",
}

# family: f"ingest_refresh_{…}" (flat names before the move)
INGEST_REFRESH: dict[str, str] = {
    "area_survey_daily": "ingest/refresh_area_survey_daily",
    "escalation_daily": "ingest/refresh_escalation_daily",
    "hazard_daily": "ingest/refresh_hazard_daily",
    "incident_daily": "ingest/refresh_incident_daily",
    "incident_monthly": "ingest/refresh_incident_monthly",
    "key_person_daily": "ingest/refresh_key_person_daily",
    "keys": "ingest/refresh_keys",
    "survey_daily": "ingest/refresh_survey_daily",
    "village_daily": "ingest/refresh_village_daily",
    "visit_daily": "ingest/refresh_visit_daily",
}

# family: f"ingest_replace_{…}" (flat names before the move)
INGEST_REPLACE: dict[str, str] = {
    "area_surveys": "ingest/replace_area_surveys",
    "hazards": "ingest/replace_hazards",
    "incidents": "ingest/replace_incidents",
    "key_persons": "ingest/replace_key_persons",
    "sensor_readings": "ingest/replace_sensor_readings",
    "surveys": "ingest/replace_surveys",
    "visits": "ingest/replace_visits",
}

# family: f"ingest_retag_{…}" (flat names before the move)
INGEST_RETAG: dict[str, str] = {
    "area_surveys": "ingest/retag_area_surveys",
    "hazards": "ingest/retag_hazards",
    "incidents": "ingest/retag_incidents",
    "key_persons": "ingest/retag_key_persons",
    "sensor_readings": "ingest/retag_sensor_readings",
    "surveys": "ingest/retag_surveys",
    "visits": "ingest/retag_visits",
}

# family: f"ingest_touched_{…}" (flat names before the move)
INGEST_TOUCHED: dict[str, str] = {
    "area_surveys": "ingest/touched_area_surveys",
    "hazards": "ingest/touched_hazards",
    "incidents": "ingest/touched_incidents",
    "key_persons": "ingest/touched_key_persons",
    "surveys": "ingest/touched_surveys",
    "visits": "ingest/touched_visits",
}

# family: f"ingest_write_{…}" (flat names before the move)
INGEST_WRITE: dict[str, str] = {
    "area_surveys": "ingest/write_area_surveys",
    "hazards": "ingest/write_hazards",
    "incidents": "ingest/write_incidents",
    "key_persons": "ingest/write_key_persons",
    "sensor_readings": "ingest/write_sensor_readings",
    "surveys": "ingest/write_surveys",
    "visits": "ingest/write_visits",
}

# family: f"kpi_{…}_series" (flat names before the move)
KPI_SERIES: dict[str, str] = {
    "alert": "kpi/alert_series",
    "area_survey": "kpi/area_survey_series",
    "escalation": "kpi/escalation_series",
    "hazard": "kpi/hazard_series",
    "incident": "kpi/incident_series",
    "key_person": "kpi/key_person_series",
    "level": "kpi/level_series",
    "survey": "kpi/survey_series",
    "visit": "kpi/visit_series",
}

# family: f"summary_{…}" (flat names before the move)
SUMMARY: dict[str, str] = {
    "alert_daily": "summary/alert_daily",
    "area_survey_daily": "summary/area_survey_daily",
    "case_durations": "summary/case_durations",
    "case_window": "summary/case_window",
    "escalation_daily": "summary/escalation_daily",
    "hazard_daily": "summary/hazard_daily",
    "incident_daily": "summary/incident_daily",
    "incident_monthly": "summary/incident_monthly",
    "key_person_daily": "summary/key_person_daily",
    "level_daily": "summary/level_daily",
    "open_alerts": "summary/open_alerts",
    "open_cases": "summary/open_cases",
    "open_hazards": "summary/open_hazards",
    "recent_cases": "summary/recent_cases",
    "schema": "summary/schema",
    "survey_daily": "summary/survey_daily",
    "village_daily": "summary/village_daily",
    "visit_daily": "summary/visit_daily",
}
