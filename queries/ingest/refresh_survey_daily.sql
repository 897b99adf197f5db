-- ingest/refresh_survey_daily: recompute survey_daily for moved cases and new 回访
--
-- Purpose: the incremental form of queries/summary/survey_daily.sql. Surveys count under
--   the grid of their case, so two things change survey_daily: an incident update that
--   moves a case to another grid (every row of the old and new grids, TEMP ingest_touched
--   kind 'incidents' with updated = true, as ingest_refresh_escalation_daily) and an
--   imported survey (its (grid, day) key, kind 'surveys'). Those rows are deleted and
--   recomputed with the full refresh's expressions.
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_survey_grids AS
SELECT DISTINCT grid_code FROM ingest_touched WHERE kind = 'incidents' AND updated;

CREATE OR REPLACE TEMP TABLE ingest_survey_keys AS
SELECT DISTINCT grid_code, day FROM ingest_touched WHERE kind = 'surveys';

DELETE FROM survey_daily AS s
WHERE s.grid_code IN (SELECT grid_code FROM ingest_survey_grids)
   OR EXISTS (SELECT 1 FROM ingest_survey_keys AS k
              WHERE k.grid_code = s.grid_code AND k.day = s.day);

-- The surveys behind the deleted rows: every survey of a case in a moved-to or moved-from
-- grid, and the surveys of an imported survey's (grid, day). Each set is narrowed on its
-- own before any join with incidents (the cases of those grids; the surveys of those
-- days): one join of every survey with every case under an OR held a hash table of the
-- whole incidents table and ran out of the import's 1 GB at 10M incidents.
CREATE OR REPLACE TEMP TABLE ingest_survey_cases AS
SELECT id FROM incidents
WHERE grid_code IN (SELECT grid_code FROM ingest_survey_grids);

CREATE OR REPLACE TEMP TABLE ingest_survey_rows AS
SELECT s.* FROM surveys AS s
SEMI JOIN ingest_survey_cases AS c ON c.id = s.incident_id
UNION
SELECT s.* FROM (
    SELECT * FROM surveys
    WHERE CAST(surveyed_at AS DATE) IN (SELECT day FROM ingest_survey_keys)
) AS s
JOIN incidents AS i ON i.id = s.incident_id
SEMI JOIN ingest_survey_keys AS k
    ON k.grid_code = i.grid_code AND k.day = CAST(s.surveyed_at AS DATE);

INSERT INTO survey_daily (
    grid_code, day, channel, surveys, rated, satisfied, basic_satisfied, unsatisfied
)
WITH
    -- @include summary/survey_daily_rows rows=ingest_survey_rows
SELECT * FROM daily
ORDER BY day, grid_code, channel;
