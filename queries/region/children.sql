-- region/children: the regions one level below a region, with their outlines
--
-- Purpose: the map layer of one level (the city's counties, a county's towns, a town's
--   villages), served once by URL and cached by the browser.
-- Parameters:
--   $parent_code  12-digit code of the parent region
-- Columns: code, short_code, level, name, lon, lat (label point inside the polygon),
--   geometry (WKB, EPSG:4326); ordered by code.
SELECT code, short_code, level, name, lon, lat, geometry
FROM regions
WHERE parent_code = $parent_code
ORDER BY code
