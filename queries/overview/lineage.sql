-- overview/lineage: a region and its ancestors, for the breadcrumb and the map's view
--
-- Purpose: the overview drills city → county → town → village → grid; the breadcrumb names
--   every level from the top of the user's jurisdiction down to the region in view, and
--   the map fits to the region's outline (bounds computed server side; the geometry never
--   enters a callback response).
-- Parameters:
--   $short_codes  list of region short codes (4/6/9/12 digits) — the prefixes of the region
--                 in view, each already inside the user's scope
-- Columns: code (12 digits), short_code, level, name, population, geometry (WKB,
--   EPSG:4326); ordered from the top level down.
SELECT code, short_code, level, name, population, geometry
FROM regions
WHERE list_contains($short_codes, short_code)
ORDER BY length(short_code)
