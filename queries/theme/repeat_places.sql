-- theme/repeat_places: places with repeated complaints among the filtered cases
--
-- Purpose: the 事件 page's 重复投诉点位: cases of the same 小类 within about 100 m of each
--   other (coordinates rounded to 0.001°) in the same grid, at least $min_cases of them in
--   the filtered set: the problems that keep coming back. Only cases whose point is the
--   source's own (point_quality ''): a geocoder's placeholder point, a region's point or
--   a grid's label point would make unrelated cases "the same place".
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql (included); $min_cases (INTEGER); $limit rows
-- Columns: grid_code, category, lon, lat (mean of the cases), n (BIGINT), first_at,
--   last_at, open_n (not closed, not voided), village, grid; most cases first.
-- DuckDB-only: starts_with, list_contains.
WITH f AS (
    -- @include cases/filtered
),
p AS (
    SELECT grid_code, category_code, category, round(lon, 3) AS lon3, round(lat, 3) AS lat3,
           avg(lon) AS lon, avg(lat) AS lat, count(*) AS n, min(reported_at) AS first_at,
           max(reported_at) AS last_at,
           count(*) FILTER (WHERE closed_at IS NULL AND NOT is_void) AS open_n
    FROM f
    WHERE NOT is_void AND coalesce(point_quality, '') = ''
    GROUP BY grid_code, category_code, category, lon3, lat3
    HAVING count(*) >= $min_cases
)
SELECT p.grid_code, p.category, p.lon, p.lat, p.n, p.first_at, p.last_at, p.open_n,
       v.name AS village, g.name AS grid
FROM p
JOIN grids AS g ON g.code = p.grid_code
JOIN regions AS v ON v.code = g.village_code
ORDER BY p.n DESC, p.last_at DESC, p.grid_code, p.category
LIMIT $limit
