-- region/grid_points: the grids of a region with their label points
--
-- Purpose: box/lasso selection on the analysis maps: the grids whose label point (inside
--   the grid polygon) lies in the drawn shape are picked (tested in Python with shapely).
-- Parameters:
--   $prefix  scope short code (validated by Scope)
-- Columns: code, lon, lat; ordered by code.
-- DuckDB-only: starts_with.
SELECT code, lon, lat
FROM grids
WHERE starts_with(code, $prefix)
ORDER BY code
