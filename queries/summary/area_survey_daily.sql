-- summary/area_survey_daily: refill area_survey_daily (群众满意度测评 per area x day x group)
--
-- Purpose: 群众满意度(测评口径) and 测评样本数 without reading area_surveys rows (its rows:
--   summary/area_survey_daily_rows.sql).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in day order).
DELETE FROM area_survey_daily;

INSERT INTO area_survey_daily (
    area_code, day, respondent_group, answers, rated, satisfied, basic_satisfied, unsatisfied
)
WITH
    -- @include summary/area_survey_daily_rows rows=area_surveys
SELECT * FROM daily
ORDER BY day, area_code, respondent_group;

SELECT count(*) AS row_count FROM area_survey_daily;
