-- overview_critical: the newest critical alert in a scope
--
-- Purpose: a kiosk screen jumps to a new critical alert wherever it arises in the user's
--   jurisdiction, whatever region is in view. Critical: an open hazard of risk level 重大
--   or an unhandled sensor alert of level 严重 (see overview_alerts), as it stood at $now
--   (rectified or handled later: still open then).
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $now     the moment (TIMESTAMP, the store's wall time)
-- Columns: kind ('major_hazard' | 'iot'), id, at, title, village, village_code; zero or
--   one row.
-- DuckDB-only: starts_with (Spark: startswith).
WITH items AS (
    SELECT 'major_hazard' AS kind, id, found_at AS at, type || '隐患' AS title, grid_code
    FROM hazards
    WHERE starts_with(grid_code, $prefix)
      AND risk_level = '重大'
      AND (rectified_at IS NULL OR rectified_at > $now)
      AND found_at <= $now
    UNION ALL
    SELECT 'iot', a.id, a.alerted_at, s.type || '告警', a.grid_code
    FROM sensor_alerts AS a
    JOIN sensors AS s ON s.id = a.sensor_id
    WHERE starts_with(a.grid_code, $prefix)
      AND a.level = '严重'
      AND (a.handled_at IS NULL OR a.handled_at > $now)
      AND a.alerted_at <= $now
)
SELECT i.kind, i.id, i.at, i.title, v.name AS village, v.code AS village_code
FROM items AS i
JOIN grids AS g ON g.code = i.grid_code
JOIN regions AS v ON v.code = g.village_code
ORDER BY i.at DESC, i.kind, i.id DESC
LIMIT 1
