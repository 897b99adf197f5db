-- report/level_regions: the regions of one level (every one gets a 通报 on a schedule)
--
-- Purpose: `gridcmd report --all --level county` and the server's report schedule
--   (docs/reports.md) generate the 通报 of each of these regions.
-- Parameters:
--   $level   city | county | town | village
--   $prefix  region short code the regions must lie in ('' for all)
-- Columns: code (short code), name; by code.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT short_code AS code, name
FROM regions
WHERE level = $level AND starts_with(short_code, $prefix)
ORDER BY short_code
