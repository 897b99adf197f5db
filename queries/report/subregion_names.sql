-- report/subregion_names: names of the sub-regions (or grids) of a scope at one level
--
-- Purpose: label the 通报's sub-region ranking, whose rows the KPI engine keys by code.
-- Parameters:
--   $prefix     scope region short code
--   $level_len  code length of the sub-regions: 6 county, 9 town, 12 village, 15 grid
--               (from the engine's whitelist of levels)
-- Columns: code (short code, or the 15-digit grid code), name.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT short_code AS code, name
FROM regions
WHERE starts_with(short_code, $prefix) AND length(short_code) = $level_len
UNION ALL
SELECT code, name
FROM grids
WHERE starts_with(code, $prefix) AND length(code) = $level_len
