-- cases/detail: one case with its lifecycle, place, category and department
--
-- Purpose: the case panel of the analyst workbench (a table row opens it). Scoped: a case
--   outside the user's jurisdiction returns no row, exactly like a case that does not exist.
--   A case attributed to a region but to no grid (docs/ingest.md) has NULL names below it.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $id      case id (BIGINT)
-- Columns: every incidents column, plus major_code, major, category, deadline_hours (the category's
--   limit), county, town, village, grid, department; zero or one row.
-- DuckDB-only: starts_with.
SELECT i.*, c.major_code, c.major_name AS major, c.minor_name AS category,
       c.deadline_hours, cn.name AS county, t.name AS town, v.name AS village, g.name AS grid,
       d.name AS department
FROM incidents AS i
JOIN categories AS c ON c.code = i.category_code
LEFT JOIN grids AS g ON g.code = i.grid_code
LEFT JOIN regions AS v ON v.short_code = substr(i.grid_code, 1, 12)
LEFT JOIN regions AS t ON t.short_code = substr(i.grid_code, 1, 9)
LEFT JOIN regions AS cn ON cn.short_code = substr(i.grid_code, 1, 6)
LEFT JOIN departments AS d ON d.code = i.dept_code
WHERE i.id = $id
  AND starts_with(i.grid_code, $prefix)
