-- foresight/surge_counts: daily case counts per village (12-digit code slot) and 大类 in
-- the days [$since, $until], from the summary table incident_daily: reports by their
-- reported_at day, void reports left out (surge detection, docs/foresight.md 异常预警).
-- Columns: village_code, major_code, day, n (only cells and days with cases).
SELECT left(d.grid_code, 12) AS village_code, c.major_code, d.day,
       CAST(sum(d.reported - d.void) AS BIGINT) AS n
FROM incident_daily AS d
JOIN categories AS c ON c.code = d.category_code
WHERE d.day BETWEEN $since AND $until
GROUP BY ALL
HAVING sum(d.reported - d.void) > 0
