-- maps/points_sensor: the filtered sensors as map points, alarming ones marked
--
-- Purpose: the 物联预警 page's map layer, served by URL (/api/points/sensor.geojson?...).
-- Parameters: $prefix, $end, $grids, $types as in sensors_filtered; $now current time;
--   $limit most points served
-- Columns: id, lon, lat, label (type), state (type), alert ('alarm' when an alert is open
--   now, else '').
-- DuckDB-only: starts_with, list_contains.
WITH s AS (
    -- @include theme/sensors_filtered
),
o AS (
    SELECT DISTINCT sensor_id FROM sensor_alerts
    WHERE alerted_at <= $now AND (handled_at IS NULL OR handled_at > $now)
)
SELECT s.id, s.lon, s.lat, s.type AS label, s.type AS state,
       CASE WHEN o.sensor_id IS NOT NULL THEN 'alarm' ELSE '' END AS alert
FROM s LEFT JOIN o ON o.sensor_id = s.id
ORDER BY o.sensor_id IS NOT NULL DESC, s.id
LIMIT $limit
