-- theme/sensors_filtered: the sensors an analyst's filters select (included, not run on its own)
--
-- Purpose: the one filter block of the 物联预警 page (theme/iot.sql, theme/iot_alerts.sql,
--   analysis_points.sql): sensors installed before the period end.
-- Parameters:
--   $prefix  scope short code (validated by Scope, narrowed to the filter's region)
--   $end     end of the period, exclusive (TIMESTAMP)
--   $grids   list of 15-digit grid codes or NULL;  $types  list of sensor types or NULL
-- Columns: every sensors column.
-- DuckDB-only: starts_with, list_contains.
SELECT s.*
FROM sensors AS s
WHERE starts_with(s.grid_code, $prefix)
  AND s.installed_at < $end
  AND ($grids IS NULL OR list_contains($grids, s.grid_code))
  AND ($types IS NULL OR list_contains($types, s.type))
