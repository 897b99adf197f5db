-- analysis/batch_touched: what a key-wise case batch touched, for the first-call tables'
-- bounded refills
--
-- Purpose: after queries/analysis/touched.sql and queries/analysis/fill.sql
--   (dashboard/kpi/summaries.py _refill_analysis_cases), the grids, counties and days from
--   which the read tables of the analysis pages may have changed: every touched grid's
--   rows (a case moved away leaves none of its cases in its old grid) and the batch's
--   earliest touched day of a case, old and new versions alike. Every lifecycle day of a
--   touched case is touched, so the ranked durations (duration_ranks) refill from the same
--   day: the caller uses ``since`` for both (batch_new.sql has a separate ranks_since).
-- Parameters: none. Reads the TEMP table analysis_grids and ingest_touched.
-- Columns: grids (VARCHAR[], sorted; NULL when none), since (DATE: the earliest touched
--   day of a case; NULL when none).
SELECT (SELECT list(DISTINCT grid_code ORDER BY grid_code) FROM analysis_grids) AS grids,
       (SELECT min(day) FROM ingest_touched WHERE kind = 'incidents') AS since
