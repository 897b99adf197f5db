-- region/unit_names: the names of the map units one level below a region
--
-- Purpose: row labels of the analysis pages' per-unit tables.
-- Parameters:
--   $prefix    scope short code (validated by Scope)
--   $unit_len  unit code length: 6, 9, 12 (regions) or 15 (grids)
-- Columns: key (the unit's short code, or grid code), name; ordered by key.
-- DuckDB-only: starts_with.
SELECT short_code AS key, name
FROM regions
WHERE starts_with(short_code, $prefix) AND length(short_code) = $unit_len
UNION ALL
SELECT code, name
FROM grids
WHERE $unit_len = 15 AND starts_with(code, $prefix)
ORDER BY key
