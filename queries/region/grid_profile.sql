-- region/grid_profile: one grid with its worker, size and the names of its village and town
--
-- Purpose: the grid profile of the analyst workbench. The grid worker is staff (网格员),
--   named with the grid as every grid service board shows; residents' data is not here.
-- Parameters:
--   $code  15-digit grid code (inside the user's jurisdiction, checked by the caller)
-- Columns: code, name, worker_name, population, households, area_km2, urban, village_code,
--   village, town_code, town; zero or one row.
SELECT g.code, g.name, g.worker_name, g.population, g.households, g.area_km2, g.urban,
       v.code AS village_code, v.name AS village, t.code AS town_code, t.name AS town
FROM grids AS g
JOIN regions AS v ON v.code = g.village_code
JOIN regions AS t ON t.code = v.parent_code
WHERE g.code = $code
