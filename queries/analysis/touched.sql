-- analysis/touched: after an import batch, empty the analysis read tables' rows of the
-- touched grids and name their cases
--
-- Purpose: the key-wise refresh of handoff_daily, closure_stays and survey_case_daily
--   (dashboard/kpi/summaries.py refresh_analysis_incremental). Their rows carry a case's
--   grid, category, source and status, which an update may change, and a case's hand-offs
--   and surveys count under it; so every grid a batch touched (an incident's old and new
--   grid, a survey's case's grid: TEMP ingest_touched) is recomputed from its cases:
--   its rows are deleted here and queries/analysis/fill.sql (cases=analysis_cases) adds
--   them again.
--   Their survey_case_daily rows are kept first in TEMP analysis_surveys_before, so that
--   queries/analysis/surveys_changed.sql can name the rows the batch really changed
--   (satisfaction_city is refilled from their earliest day on).
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none (creates TEMP analysis_grids, analysis_surveys_before and the TEMP view
--   analysis_cases).
CREATE OR REPLACE TEMP TABLE analysis_grids AS
SELECT DISTINCT grid_code FROM ingest_touched WHERE kind IN ('incidents', 'surveys');

CREATE OR REPLACE TEMP VIEW analysis_cases AS
SELECT * FROM incidents WHERE grid_code IN (SELECT grid_code FROM analysis_grids);

DELETE FROM handoff_daily WHERE grid_code IN (SELECT grid_code FROM analysis_grids);

DELETE FROM closure_stays WHERE grid_code IN (SELECT grid_code FROM analysis_grids);

CREATE OR REPLACE TEMP TABLE analysis_surveys_before AS
SELECT * FROM survey_case_daily WHERE grid_code IN (SELECT grid_code FROM analysis_grids);

DELETE FROM survey_case_daily WHERE grid_code IN (SELECT grid_code FROM analysis_grids);
