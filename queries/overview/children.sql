-- overview/children: the units one level below a region, with their population
--
-- Purpose: the overview's map layer is the children of the region in view (regions, or the
--   grids of a village); their names and residents (for key persons per 10,000) come from
--   here, their outlines by URL from /geo/<code>.geojson.
-- Parameters:
--   $parent  12-digit code of a city, county, town or village
-- Columns: code (12 digits, or 15 for grids), short_code, level, name, population;
--   ordered by code.
SELECT code, short_code, level, name, population
FROM regions
WHERE parent_code = $parent
UNION ALL
SELECT code, code AS short_code, 'grid' AS level, name, population
FROM grids
WHERE village_code = $parent
ORDER BY code
