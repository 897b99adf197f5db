-- foresight/surge_counts: daily case counts per village (12-digit code slot) and 大类 in
-- the days [$since, $until], from the summary table incident_daily: reports by their
-- reported_at day, void reports left out (surge detection, docs/foresight.md 异常预警).
-- Cases outside every grid (grid_code '': a point in no grid) have no village and are not
-- counted (they made build_cells fail: a 0-digit code has no parent).
-- Columns: village_code, major_code, day, n (only cells and days with cases).
SELECT left(d.grid_code, 12) AS village_code, c.major_code, d.day,
       CAST(sum(d.reported - d.void) AS BIGINT) AS n
FROM incident_daily AS d
JOIN categories AS c ON c.code = d.category_code
WHERE d.day BETWEEN $since AND $until
  AND length(d.grid_code) >= 12
GROUP BY ALL
HAVING sum(d.reported - d.void) > 0
