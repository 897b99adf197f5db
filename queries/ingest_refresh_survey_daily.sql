-- ingest_refresh_survey_daily: recompute survey_daily for grids whose cases moved
--
-- Purpose: as ingest_refresh_escalation_daily, for 回访 (queries/summary_survey_daily.sql).
--   Run after it (it reads its TEMP ingest_moved).
-- Parameters: none. Reads TEMP ingest_moved.
-- Columns: none.
DELETE FROM survey_daily WHERE grid_code IN (SELECT grid_code FROM ingest_moved);

INSERT INTO survey_daily (
    grid_code, day, channel, surveys, rated, satisfied, basic_satisfied, unsatisfied
)
SELECT i.grid_code, CAST(s.surveyed_at AS DATE) AS day, s.channel,
       count(*),
       sum(CASE WHEN s.rating IS NOT NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN s.rating = '满意' THEN 1 ELSE 0 END),
       sum(CASE WHEN s.rating = '基本满意' THEN 1 ELSE 0 END),
       sum(CASE WHEN s.rating = '不满意' THEN 1 ELSE 0 END)
FROM surveys AS s
JOIN incidents AS i ON i.id = s.incident_id
WHERE i.grid_code IN (SELECT grid_code FROM ingest_moved)
GROUP BY i.grid_code, CAST(s.surveyed_at AS DATE), s.channel
ORDER BY day, i.grid_code, s.channel;
