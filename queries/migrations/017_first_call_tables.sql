-- 017_first_call_tables: the 满意度 page's period table satisfaction_city (docs/analysis.md,
-- Speed, "First call at 10M"): per survey day or month, county and facet value the
-- follow-ups of survey_case_daily, so a city's or a county's page without case filters
-- reads a few thousand summed rows instead of one row per survey of the period. The refill
-- below creates and fills it through the current code (dashboard/kpi/summaries.py
-- refresh_satisfaction_city). The 事件 page's repeat places read repeat_place_cases (every
-- case of a place, same grid, 小类 and 0.001° point, with 3 cases or more: 2.6M of 10M),
-- not every case of the period (refresh_repeat_places). Its facet counts (大类, source,
-- status, day, map unit) of a city or a county without case filters read case_facets_city
-- (per report day or month, county and facet value; refresh_case_facets). No other table
-- changes.
-- @refill satisfaction_city
-- @refill repeat_places
-- @refill case_facets
DROP TABLE IF EXISTS satisfaction_city;
DROP TABLE IF EXISTS repeat_place_cases;
DROP TABLE IF EXISTS case_facets_city;
