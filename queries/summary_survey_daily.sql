-- summary_survey_daily: refill survey_daily (回访 per grid x day x channel)
--
-- Purpose: 满意率 and 参评率 without reading surveys rows. The grid is the case's grid.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in day order).
DELETE FROM survey_daily;

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
GROUP BY i.grid_code, CAST(s.surveyed_at AS DATE), s.channel
ORDER BY day, i.grid_code, s.channel;

SELECT count(*) AS row_count FROM survey_daily;
