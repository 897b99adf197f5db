-- theme/case_keys: the analyst's case filters on a read table's case keys (included, not
-- run on its own)
--
-- Purpose: cases/filtered.sql's filters (scope, 大类/小类, source, status, grids) as one
--   condition over a row `x` of an analysis read table (handoff_daily, closure_stays,
--   survey_case_daily, or incidents itself: grid_code, category_code, source, status of
--   the case), so these tables select exactly the cases cases_filtered does. The category
--   filter is a semi-join with the few categories it names (no join of every row with
--   categories). Included after WHERE or AND.
-- Parameters: $prefix, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql.
-- DuckDB-only: starts_with, list_contains.
starts_with(x.grid_code, $prefix)
    AND x.category_code IN (
        SELECT k.code FROM categories AS k
        WHERE ($majors IS NULL AND $minors IS NULL)
           OR coalesce(list_contains($majors, k.major_code), FALSE)
           OR coalesce(list_contains($minors, k.code), FALSE))
    AND ($sources IS NULL OR list_contains($sources, x.source))
    AND ($statuses IS NULL OR list_contains($statuses, x.status))
    AND ($grids IS NULL OR list_contains($grids, x.grid_code))
