-- quality/units: the regions whose outlines count rows outside every grid
--
-- Purpose: the scope's own region and its units of one level (their names head the
--   data-quality table; their outlines place the points of quality/outside.sql).
-- Parameters:
--   $prefix    scope short code (validated by Scope)
--   $unit_len  unit code length (6, 9 or 12; grids have no rows outside every grid)
-- Columns: key (short code), name, geometry (WKB); the scope's own region first.
-- DuckDB-only: starts_with.
SELECT short_code AS key, name, geometry
FROM regions
WHERE short_code = $prefix
   OR (starts_with(short_code, $prefix) AND length(short_code) = $unit_len)
ORDER BY length(short_code), short_code
