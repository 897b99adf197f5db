-- cases/filtered: the cases an analyst's filters select (included, not run on its own)
--
-- Purpose: the one filter block of the analyst workbench, included by cases/facets.sql and
--   cases/page.sql with `-- @include cases_filtered`, so charts, table and export always
--   select the same rows.
-- Parameters:
--   $prefix    scope short code (validated by Scope, narrowed to the filter's region)
--   $start     first report time, inclusive (TIMESTAMP, Asia/Shanghai)
--   $end       report time bound, exclusive
--   $majors    list of 大类 codes or NULL;  $minors  list of 小类 codes or NULL — a case
--              passes when it is in any listed 大类 or 小类 (no filter when both are NULL)
--   $sources   list of sources or NULL
--   $statuses  list of statuses or NULL
--   $grids     list of 15-digit grid codes or NULL
-- Columns: every incidents column, plus major_code, major (大类 name, '(部件)' added for
--   部件 classes, which share some names with 事件 classes) and category (小类 name).
-- DuckDB-only: starts_with, list_contains.
SELECT i.*, c.major_code,
       c.major_name || CASE WHEN c.domain = '部件' THEN '(部件)' ELSE '' END AS major,
       c.minor_name AS category
FROM incidents AS i
JOIN categories AS c ON c.code = i.category_code
WHERE starts_with(i.grid_code, $prefix)
  AND i.reported_at >= $start AND i.reported_at < $end
  AND (($majors IS NULL AND $minors IS NULL)
       OR coalesce(list_contains($majors, c.major_code), FALSE)
       OR coalesce(list_contains($minors, c.code), FALSE))
  AND ($sources IS NULL OR list_contains($sources, i.source))
  AND ($statuses IS NULL OR list_contains($statuses, i.status))
  AND ($grids IS NULL OR list_contains($grids, i.grid_code))
