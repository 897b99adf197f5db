-- overview/grid: one grid with its village, for the overview's grid level
--
-- Purpose: the last drill step; the map shows the village's grids with this one selected.
-- Parameters:
--   $code  15-digit grid code (inside the user's scope, checked by the caller)
-- Columns: code, short_code (= code), level ('grid'), name, population, area_km2,
--   households, village_code (12 digits), geometry (WKB, EPSG:4326); zero or one row.
SELECT code, code AS short_code, 'grid' AS level, name, population, area_km2, households,
       village_code, geometry
FROM grids
WHERE code = $code
