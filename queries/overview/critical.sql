-- overview/critical: the newest critical alert in a scope
--
-- Purpose: a kiosk screen jumps to a new critical alert wherever it arises in the user's
--   jurisdiction, whatever region is in view. Critical: an open hazard of risk level 重大
--   or an unhandled sensor alert of level 严重 (see overview_alerts), as it stood at $now
--   (rectified or handled later: still open then).
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $now     the moment (TIMESTAMP, the store's wall time)
--   $tables  BOOLEAN: open_hazards / open_alerts cover $now (queries/cases/window_at.sql,
--            column alerts; queries/overview/open_items.sql)
-- Columns: kind ('major_hazard' | 'iot'), id, at, title, village, village_code; zero or
--   one row.
-- DuckDB-only: starts_with (Spark: startswith).
WITH
-- @include overview/open_items
items AS (
    SELECT 'major_hazard' AS kind, id, found_at AS at, type || '隐患' AS title, grid_code
    FROM hazards_open
    WHERE risk_level = '重大'
    UNION ALL
    SELECT 'iot', id, alerted_at, sensor_type || '告警', grid_code
    FROM alerts_open
    WHERE level = '严重'
)
SELECT i.kind, i.id, i.at, i.title, v.name AS village, v.code AS village_code
FROM items AS i
JOIN grids AS g ON g.code = i.grid_code
JOIN regions AS v ON v.code = g.village_code
ORDER BY i.at DESC, i.kind, i.id DESC
LIMIT 1
