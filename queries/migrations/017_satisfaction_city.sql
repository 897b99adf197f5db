-- 017_satisfaction_city: the 满意度 page's period table satisfaction_city (docs/analysis.md,
-- Speed, "First call at 10M"): per survey day or month, county and facet value the
-- follow-ups of survey_case_daily, so a city's or a county's page without case filters
-- reads a few thousand summed rows instead of one row per survey of the period. The refill
-- below creates and fills it through the current code (dashboard/kpi/summaries.py
-- refresh_satisfaction_city); no other table changes.
-- @refill satisfaction_city
DROP TABLE IF EXISTS satisfaction_city;
