-- foresight/surge_hours: non-void reports per hour of the day in [$since, $until): how
-- much of a day's reports have usually arrived by a given time (a live run tests today's
-- partial count against that share of a day's baseline; docs/foresight.md 异常预警).
-- Columns: hour (0–23), n.
SELECT CAST(hour(reported_at) AS INTEGER) AS hour, count(*) AS n
FROM incidents
WHERE NOT is_void AND reported_at >= $since AND reported_at < $until
GROUP BY 1
ORDER BY 1
