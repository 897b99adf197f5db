-- theme_case_keys: the analyst's case filters on a read table's case keys (included, not
-- run on its own)
--
-- Purpose: cases_filtered.sql's filters (scope, 大类/小类, source, status, grids) as one
--   condition over a row `x` of an analysis read table (handoff_daily, closure_stays,
--   survey_case_daily: grid_code, category_code, source, status of the case) joined to
--   `categories AS c` on its category_code, so these tables select exactly the cases
--   cases_filtered does. Included after WHERE or AND.
-- Parameters: $prefix, $majors, $minors, $sources, $statuses, $grids as in
--   cases_filtered.sql.
-- DuckDB-only: starts_with, list_contains.
starts_with(x.grid_code, $prefix)
    AND (($majors IS NULL AND $minors IS NULL)
         OR coalesce(list_contains($majors, c.major_code), FALSE)
         OR coalesce(list_contains($minors, c.code), FALSE))
    AND ($sources IS NULL OR list_contains($sources, x.source))
    AND ($statuses IS NULL OR list_contains($statuses, x.status))
    AND ($grids IS NULL OR list_contains($grids, x.grid_code))
