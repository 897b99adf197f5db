-- analysis/surveys_new: the survey days an insert-only case batch added to survey_case_daily
--
-- Purpose: the additive refresh (queries/analysis/new_cases.sql, then
--   queries/analysis/fill.sql with cases=analysis_cases) adds the rows of the new cases'
--   surveys and changes no stored row, so satisfaction_city changes only on those
--   surveys' days: the earliest of them and their cases' counties bound its refill
--   (queries/analysis/satisfaction_fill.sql). A new case has normally no survey yet:
--   then nothing is refilled.
-- Parameters: none. Reads the TEMP view analysis_cases.
-- Columns: since (DATE, NULL when no survey), counties (VARCHAR[] of 6-digit codes).
SELECT CAST(min(s.surveyed_at) AS DATE) AS since,
       list(DISTINCT left(c.grid_code, 6) ORDER BY left(c.grid_code, 6)) AS counties
FROM surveys AS s
JOIN analysis_cases AS c ON c.id = s.incident_id;
