-- mygrid/alerts: the unhandled sensor alerts (物联告警) in a grid worker's area
--
-- Purpose: 我的网格 (dashboard/mygrid_data.py): every sensor alert of the scope raised by
--   $now and not handled by $now, newest first (as overview/open_items.sql's alerts_open).
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $now     the moment (TIMESTAMP, the store's wall time)
-- Columns: id, sensor_code, sensor_type, level, grid_code, grid_name, alerted_at, value,
--   threshold, unit.
-- DuckDB-only: starts_with.
SELECT a.id, s.code AS sensor_code, s.type AS sensor_type, a.level, a.grid_code,
       g.name AS grid_name, a.alerted_at, a.value, a.threshold, s.unit
FROM sensor_alerts AS a
JOIN sensors AS s ON s.id = a.sensor_id
LEFT JOIN grids AS g ON g.code = a.grid_code
WHERE starts_with(a.grid_code, $prefix)
  AND a.alerted_at <= $now
  AND (a.handled_at IS NULL OR a.handled_at > $now)
ORDER BY a.alerted_at DESC, a.id DESC
