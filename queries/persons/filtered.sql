-- persons/filtered: the key persons an analyst's filters select (included, not run alone)
--
-- Purpose: the one filter block of the 重点人群 page (theme/person_facets.sql,
--   theme/person_list.sql): persons listed at the end of the period. No personal fields.
-- Parameters:
--   $prefix  scope short code (validated by Scope, narrowed to the filter's region)
--   $end     end of the period, exclusive (TIMESTAMP): listed = registered before it and
--            not removed before it
--   $grids   list of 15-digit grid codes or NULL;  $cats  list of categories or NULL
-- Columns: every key_persons column.
-- DuckDB-only: starts_with, list_contains.
SELECT p.*
FROM key_persons AS p
WHERE starts_with(p.grid_code, $prefix)
  AND p.registered_at < $end
  AND (p.removed_at IS NULL OR p.removed_at >= $end)
  AND ($grids IS NULL OR list_contains($grids, p.grid_code))
  AND ($cats IS NULL OR list_contains($cats, p.category))
