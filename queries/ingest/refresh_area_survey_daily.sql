-- ingest/refresh_area_survey_daily: recompute area_survey_daily for the (area, day) keys of a
-- load
--
-- Purpose: the incremental form of queries/summary/area_survey_daily.sql: the rows of the
--   keys in TEMP ingest_touched (kind 'area_surveys', the area code in grid_code) are
--   deleted and recomputed with the full refresh's expressions.
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_area_survey_keys AS
SELECT DISTINCT grid_code AS area_code, day FROM ingest_touched WHERE kind = 'area_surveys';

DELETE FROM area_survey_daily AS s
WHERE EXISTS (SELECT 1 FROM ingest_area_survey_keys AS k
              WHERE k.area_code = s.area_code AND k.day = s.day);

CREATE OR REPLACE TEMP VIEW ingest_area_survey_rows AS
SELECT a.*
FROM area_surveys AS a
WHERE EXISTS (SELECT 1 FROM ingest_area_survey_keys AS k
              WHERE k.area_code = a.area_code AND k.day = CAST(a.surveyed_at AS DATE));

INSERT INTO area_survey_daily (
    area_code, day, respondent_group, answers, rated, satisfied, basic_satisfied, unsatisfied
)
WITH
    -- @include summary/area_survey_daily_rows rows=ingest_area_survey_rows
SELECT * FROM daily
ORDER BY day, area_code, respondent_group;
