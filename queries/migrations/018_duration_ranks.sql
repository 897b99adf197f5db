-- 018_duration_ranks: the KPI strip's exact medians over whole months (docs/analysis.md,
-- Speed, "First call at 10M"): duration_bins (per measure, county, month and log bin the
-- durations the quantile KPIs rank) and duration_ranks (the durations themselves in
-- (measure, bin, month) order; county was a sort key until analysis/ranks_fill.sql dropped
-- it), so the engine's median and P90 of a city or a
-- county over whole months add counts and read one bin's durations instead of every
-- row of the period (queries/analysis/ranks_schema.sql). The refill below creates and
-- fills them through the current code (dashboard/kpi/summaries.py
-- refresh_duration_ranks). No other table changes.
-- @refill duration_ranks
DROP TABLE IF EXISTS duration_ranks;
DROP TABLE IF EXISTS duration_bins;
