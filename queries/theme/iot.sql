-- theme/iot: sensors and their alerts (物联预警) under the analyst's filters
--
-- Purpose: the 物联预警 page in one query: sensors per type with those alarming now (an
--   alert raised and not handled), and the alerts raised in the period per type, level,
--   map unit and day, with how many were handled and how long handling took (minutes from
--   alerted_at to handled_at: mean, median, P90).
-- Parameters: $prefix, $end, $grids, $types as in sensors_filtered; $start first alert
--   time (inclusive); $now current time; $unit_len map unit key length (6/9/12/15)
-- Columns: facet ('sensors' | 'type' | 'level' | 'unit' | 'day'), key, n (sensors, or
--   alerts), alarming (sensors facet: sensors with an open alert now), handled (alerts
--   handled by now), mean_minutes, median_minutes, p90_minutes (of the handled alerts).
-- DuckDB-only: starts_with, list_contains, epoch, quantile_cont, GROUPING SETS.
WITH s AS (
    -- @include theme/sensors_filtered
),
a AS (
    SELECT a.*, s.type, substr(a.grid_code, 1, $unit_len) AS unit,
           CAST(a.alerted_at AS DATE) AS day,
           a.handled_at IS NOT NULL AND a.handled_at <= $now AS handled,
           CASE WHEN a.handled_at <= $now
                THEN (epoch(a.handled_at) - epoch(a.alerted_at)) / 60.0 END AS minutes
    FROM sensor_alerts AS a
    JOIN s ON s.id = a.sensor_id
    WHERE a.alerted_at >= $start AND a.alerted_at < $end AND a.alerted_at <= $now
),
open_now AS (
    SELECT DISTINCT a.sensor_id
    FROM sensor_alerts AS a JOIN s ON s.id = a.sensor_id
    WHERE a.alerted_at <= $now AND (a.handled_at IS NULL OR a.handled_at > $now)
)
SELECT 'sensors' AS facet, type AS key, count(*) AS n,
       count(*) FILTER (WHERE id IN (SELECT sensor_id FROM open_now)) AS alarming,
       NULL::BIGINT AS handled, NULL::DOUBLE AS mean_minutes, NULL::DOUBLE AS median_minutes,
       NULL::DOUBLE AS p90_minutes
FROM s GROUP BY type
UNION ALL
SELECT CASE WHEN grouping(type) = 0 THEN 'type' WHEN grouping(level) = 0 THEN 'level'
            WHEN grouping(unit) = 0 THEN 'unit' ELSE 'day' END,
       coalesce(type, level, unit, CAST(day AS VARCHAR)), count(*), NULL,
       count(*) FILTER (WHERE handled), avg(minutes), median(minutes),
       quantile_cont(minutes, 0.9)
FROM a
GROUP BY GROUPING SETS ((type), (level), (unit), (day))
ORDER BY facet, key
