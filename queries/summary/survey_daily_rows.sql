-- summary/survey_daily_rows: the rows of survey_daily from a set of surveys (included, not run on
-- its own)
--
-- Purpose: the one definition of survey_daily (回访 per grid x day x channel; the grid is the
--   case's grid), included by the full refill (summary/survey_daily.sql, rows=surveys) and
--   the incremental refresh (ingest/refresh_survey_daily.sql, rows=ingest_survey_rows).
-- @slot rows: surveys ingest_survey_rows
-- Columns (CTE daily): grid_code, day, channel, surveys, rated, satisfied, basic_satisfied,
--   unsatisfied.
daily AS (
    SELECT i.grid_code, CAST(s.surveyed_at AS DATE) AS day, s.channel,
           count(*) AS surveys,
           sum(CASE WHEN s.rating IS NOT NULL THEN 1 ELSE 0 END) AS rated,
           sum(CASE WHEN s.rating = '满意' THEN 1 ELSE 0 END) AS satisfied,
           sum(CASE WHEN s.rating = '基本满意' THEN 1 ELSE 0 END) AS basic_satisfied,
           sum(CASE WHEN s.rating = '不满意' THEN 1 ELSE 0 END) AS unsatisfied
    FROM {{rows}} AS s
    JOIN incidents AS i ON i.id = s.incident_id
    GROUP BY i.grid_code, CAST(s.surveyed_at AS DATE), s.channel
)
