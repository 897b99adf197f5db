-- summary/open_alerts: refill open_alerts (the alerts' sensor alerts) from sensor_alerts
--
-- Purpose: queries/overview/alerts.sql and overview/critical.sql count the sensor alerts
--   unhandled at a moment $now (alerted by $now, not handled by $now). For $now at or
--   after case_window.since such an alert has handled_at NULL or after `since`: this table
--   holds exactly those with their sensor's code, type and place, unhandled ones first,
--   each part in grid_code order. Run after summary_case_window; empty without a case
--   window (the queries then read sensor_alerts).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill).
DELETE FROM open_alerts;

INSERT INTO open_alerts (id, sensor_code, sensor_type, level, grid_code, lon, lat,
                         alerted_at, open_until)
SELECT a.id, s.code, s.type, a.level, a.grid_code, s.lon, s.lat, a.alerted_at,
       coalesce(a.handled_at, 'infinity'::TIMESTAMP)
FROM sensor_alerts AS a
JOIN sensors AS s ON s.id = a.sensor_id
CROSS JOIN case_window AS w
WHERE a.handled_at IS NULL OR a.handled_at > w.since
ORDER BY a.handled_at IS NOT NULL, a.grid_code, a.id;

SELECT count(*) AS row_count FROM open_alerts;
