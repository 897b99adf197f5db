-- region/grid_children: the grids of one village (社区/村), with their outlines
--
-- Purpose: the map layer below the village level, served by URL like the region levels.
-- Parameters:
--   $village_code  12-digit village code
-- Columns: code (15 digits), short_code (the grid code itself: grids have no padding),
--   level (always 'grid'), name, lon, lat (label point), geometry (WKB, EPSG:4326);
--   ordered by code.
SELECT code, code AS short_code, 'grid' AS level, name, lon, lat, geometry
FROM grids
WHERE village_code = $village_code
ORDER BY code
