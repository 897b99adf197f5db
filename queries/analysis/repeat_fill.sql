-- analysis/repeat_fill: refill repeat_place_cases for some grids (migration 017)
--
-- Purpose: the rows of repeat_place_cases (queries/analysis/repeat_schema.sql) of the grids
--   $grids (every grid when NULL) are deleted and computed again from incidents: the
--   non-void cases with their source's own point whose place (grid, 小类, lon and lat
--   rounded to 0.001°) has at least 3 such cases, each with its place's key (the smallest
--   id of the place's cases). A place lies in one grid, so refilling
--   the grids a batch touched (an incident's old and new grid) keeps the table equal to a
--   full refill (tested).
-- Parameters: $grids  VARCHAR[] of grid codes, or NULL for all.
-- Columns: none.
DELETE FROM repeat_place_cases
WHERE $grids IS NULL OR grid_code IN (SELECT unnest($grids));

INSERT INTO repeat_place_cases
WITH c AS (
    SELECT id, grid_code, category_code, source, status, reported_at, closed_at, lon, lat,
           round(lon, 3) AS lon3, round(lat, 3) AS lat3
    FROM incidents
    WHERE NOT is_void AND coalesce(point_quality, '') = ''
      AND ($grids IS NULL OR grid_code IN (SELECT unnest($grids)))
)
-- @include analysis/repeat_rows cases=c
;
