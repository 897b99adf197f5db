-- mygrid/grids: the grids of a grid worker's area with their outlines
--
-- Purpose: 我的网格 (dashboard/mygrid_data.py): the map of the quick-report form (the
--   outline drawn as SVG, no tiles) and the server-side check that a reported point lies
--   in one of the worker's grids.
-- Parameters:
--   $prefix  scope short code (validated by Scope): a grid code, or a village's
-- Columns: code, name, village_code, village_name, lon, lat (a point inside), geometry
--   (WKB, EPSG:4326).
-- DuckDB-only: starts_with.
SELECT g.code, g.name, g.village_code, r.name AS village_name, g.lon, g.lat, g.geometry
FROM grids AS g
LEFT JOIN regions AS r ON r.code = g.village_code
WHERE starts_with(g.code, $prefix)
ORDER BY g.code
