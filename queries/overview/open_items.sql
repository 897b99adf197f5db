-- overview/open_items: the hazards and sensor alerts open at a moment, as two CTEs
--
-- Purpose: included by overview/alerts.sql and overview/critical.sql inside their WITH
--   list (a block, not a query of its own). hazards_open: every hazard of the scope found
--   by $now and not rectified by $now; alerts_open: every sensor alert of the scope raised
--   by $now and not handled by $now, with its sensor's code, type and place. For $now at
--   or after case_window.since ($tables TRUE) they read the small open_hazards and
--   open_alerts tables (queries/summary/open_hazards.sql, summary/open_alerts.sql), before
--   it the raw hazards and sensor_alerts; $tables is a bound constant, so the planner
--   drops the branch that is not read.
-- Parameters: $prefix, $now, $tables (as the including query).
-- Columns: hazards_open (id, hazard_no, type, risk_level, grid_code, lon, lat, found_at);
--   alerts_open (id, sensor_code, sensor_type, level, grid_code, lon, lat, alerted_at).
hazards_open AS (
    SELECT id, hazard_no, type, risk_level, grid_code, lon, lat, found_at
    FROM open_hazards
    WHERE starts_with(grid_code, $prefix)
      AND open_until > $now
      AND found_at <= $now
      AND $tables
    UNION ALL
    SELECT id, hazard_no, type, risk_level, grid_code, lon, lat, found_at
    FROM hazards
    WHERE starts_with(grid_code, $prefix)
      AND (rectified_at IS NULL OR rectified_at > $now)
      AND found_at <= $now
      AND NOT $tables
),
alerts_open AS (
    SELECT id, sensor_code, sensor_type, level, grid_code, lon, lat, alerted_at
    FROM open_alerts
    WHERE starts_with(grid_code, $prefix)
      AND open_until > $now
      AND alerted_at <= $now
      AND $tables
    UNION ALL
    SELECT a.id, s.code, s.type, a.level, a.grid_code, s.lon, s.lat, a.alerted_at
    FROM sensor_alerts AS a
    JOIN sensors AS s ON s.id = a.sensor_id
    WHERE starts_with(a.grid_code, $prefix)
      AND (a.handled_at IS NULL OR a.handled_at > $now)
      AND a.alerted_at <= $now
      AND NOT $tables
),
