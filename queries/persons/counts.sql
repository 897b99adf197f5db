-- persons/counts: listed key persons per sub-unit and category in a jurisdiction
--
-- Purpose: aggregate counts for maps and tables; small counts are suppressed in Python
--   (dashboard.privacy.suppress_small). No personal data is read.
-- Parameters:
--   $prefix  scope region short code (validated by Scope)
--   $digits  length of the unit code: 6 county, 9 town, 12 village, 15 grid (whitelisted)
-- Columns: unit (code prefix), category, n (BIGINT); ordered by unit, category.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT substr(grid_code, 1, $digits) AS unit, category, count(*) AS n
FROM key_persons
WHERE starts_with(grid_code, $prefix)
  AND removed_at IS NULL
GROUP BY 1, 2
ORDER BY 1, 2
