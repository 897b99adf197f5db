-- 012_period_tables_county: the period tables keyed by county (timeliness_city and
-- linkage_city: a county column in place of the city's, so a county without other filters
-- reads its own rows and a city the sum over its counties; dashboard/thematic_data.py).
-- Derived data: the three period tables are dropped and the refill below creates them in
-- the new shape and fills them (dashboard/kpi/summaries.py refresh_period_tables); no
-- other table changes.
-- @refill period_tables
DROP TABLE IF EXISTS timeliness_city;
DROP TABLE IF EXISTS linkage_city;
DROP TABLE IF EXISTS open_case_keys;
