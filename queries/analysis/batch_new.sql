-- analysis/batch_new: what an insert-only case batch added, for the first-call tables'
-- bounded refills
--
-- Purpose: after queries/analysis/new_cases.sql and queries/analysis/fill.sql
--   (dashboard/kpi/summaries.py _refill_analysis_cases), the grids and days from which the
--   read tables of the analysis pages may have changed: the new cases' grids, their
--   earliest report day (the facet counts), and the earliest of their report, registration
--   and closing days (the ranked durations: a case may be registered before it is
--   reported).
-- Parameters: none. Reads the TEMP view analysis_cases.
-- Columns: grids (VARCHAR[], sorted; NULL when none), since (DATE; NULL when no case),
--   ranks_since (DATE; NULL when no case).
SELECT list(DISTINCT grid_code ORDER BY grid_code) AS grids,
       CAST(min(reported_at) AS DATE) AS since,
       CAST(least(min(reported_at), min(registered_at), min(closed_at)) AS DATE)
           AS ranks_since
FROM analysis_cases
