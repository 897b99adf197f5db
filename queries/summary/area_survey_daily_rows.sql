-- summary/area_survey_daily_rows: the rows of area_survey_daily from a set of area surveys
-- (included, not run on its own)
--
-- Purpose: the one definition of area_survey_daily (群众满意度测评 per area x day x
--   respondent group), included by the full refill (summary/area_survey_daily.sql,
--   rows=area_surveys) and the incremental refresh (ingest/refresh_area_survey_daily.sql,
--   rows=ingest_area_survey_rows).
-- @slot rows: area_surveys ingest_area_survey_rows
-- Columns (CTE daily): area_code, day, respondent_group, answers, rated, satisfied,
--   basic_satisfied, unsatisfied.
daily AS (
    SELECT a.area_code, CAST(a.surveyed_at AS DATE) AS day,
           coalesce(a.respondent_group, '') AS respondent_group,
           count(*) AS answers,
           sum(CASE WHEN a.rating IS NOT NULL THEN 1 ELSE 0 END) AS rated,
           sum(CASE WHEN a.rating = '满意' THEN 1 ELSE 0 END) AS satisfied,
           sum(CASE WHEN a.rating = '基本满意' THEN 1 ELSE 0 END) AS basic_satisfied,
           sum(CASE WHEN a.rating = '不满意' THEN 1 ELSE 0 END) AS unsatisfied
    FROM {{rows}} AS a
    GROUP BY a.area_code, CAST(a.surveyed_at AS DATE), coalesce(a.respondent_group, '')
)
