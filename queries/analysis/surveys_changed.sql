-- analysis/surveys_changed: the survey_case_daily rows a key-wise refresh really changed
--
-- Purpose: after queries/analysis/touched.sql and queries/analysis/fill.sql
--   (cases=analysis_cases) recomputed every survey_case_daily row of the touched grids,
--   compare them with the rows kept before (TEMP analysis_surveys_before): a row that is
--   gone or new lies on a survey day whose satisfaction_city rows change (a survey added,
--   updated or removed; a case whose 小类, source, status, department, grid or hours
--   changed, on each of its surveys' days; a case removed). The earliest such day and the
--   counties of such rows bound the refill of satisfaction_city
--   (queries/analysis/satisfaction_fill.sql); nothing changed gives no row to refill.
-- Parameters: none. Reads TEMP analysis_grids and analysis_surveys_before.
-- Columns: since (DATE, NULL when nothing changed), counties (VARCHAR[] of 6-digit codes).
WITH now AS (
    SELECT * FROM survey_case_daily
    WHERE grid_code IN (SELECT grid_code FROM analysis_grids)
),
changed AS (
    (SELECT * FROM analysis_surveys_before EXCEPT ALL SELECT * FROM now)
    UNION ALL
    (SELECT * FROM now EXCEPT ALL SELECT * FROM analysis_surveys_before)
)
SELECT min(day) AS since, list(DISTINCT left(grid_code, 6) ORDER BY left(grid_code, 6))
       AS counties
FROM changed;
