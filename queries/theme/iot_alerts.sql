-- theme/iot_alerts: the filtered alerts still unhandled, the most severe first
--
-- Purpose: the 物联预警 page's list of alerts over threshold awaiting handling.
-- Parameters: $prefix, $end, $grids, $types as in sensors_filtered; $start first alert
--   time; $now current time; $limit rows
-- Columns: id, sensor_code, type, level, alerted_at, value, threshold, unit (of the
--   reading), ratio (value / threshold), hours_open (DOUBLE), town, village, grid.
-- DuckDB-only: starts_with, list_contains, epoch.
WITH s AS (
    -- @include theme/sensors_filtered
)
SELECT a.id, s.code AS sensor_code, s.type, a.level, a.alerted_at, a.value, a.threshold,
       s.unit, a.value / nullif(a.threshold, 0) AS ratio,
       (epoch($now) - epoch(a.alerted_at)) / 3600.0 AS hours_open,
       t.name AS town, v.name AS village, g.name AS grid
FROM sensor_alerts AS a
JOIN s ON s.id = a.sensor_id
JOIN grids AS g ON g.code = a.grid_code
JOIN regions AS v ON v.code = g.village_code
JOIN regions AS t ON t.code = v.parent_code
WHERE a.alerted_at >= $start AND a.alerted_at < $end AND a.alerted_at <= $now
  AND (a.handled_at IS NULL OR a.handled_at > $now)
ORDER BY a.level = '严重' DESC, a.alerted_at, a.id
LIMIT $limit
