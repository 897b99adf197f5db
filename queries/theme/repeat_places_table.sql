-- theme/repeat_places_table: places with repeated complaints, from repeat_place_cases
--
-- Purpose: the 事件 page's 重复投诉点位 as theme/repeat_places.sql computes them, for any
--   case filter, when $min_cases is at least 3: a place with $min_cases filtered cases has
--   at least 3 cases of any kind, so all its cases are in repeat_place_cases (migration
--   017), and the filtered cases of the period among them give the same places, counts,
--   times and mean points as the period's filtered cases (tested). Reads 0.5M places'
--   2.6M cases at 10M instead of every case of the period.
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql; $min_cases (INTEGER, at least 3); $limit rows
-- Columns: as theme/repeat_places.sql: grid_code, category, lon, lat, n, first_at,
--   last_at, open_n, village, grid; most cases first.
-- DuckDB-only: starts_with, list_contains.
WITH p AS (
    -- grouped by the case keys alone; the 小类 name joined to the few places afterwards
    -- (categories.code is its key: the same groups as grouping by code and name)
    SELECT x.grid_code, x.category_code, x.lon3, x.lat3, avg(x.lon) AS lon,
           avg(x.lat) AS lat, count(*) AS n, min(x.reported_at) AS first_at,
           max(x.reported_at) AS last_at,
           count(*) FILTER (WHERE x.closed_at IS NULL) AS open_n
    FROM repeat_place_cases AS x
    WHERE x.reported_at >= $start AND x.reported_at < $end AND
          -- @include theme/case_keys
    GROUP BY x.grid_code, x.category_code, x.lon3, x.lat3
    HAVING count(*) >= $min_cases
)
SELECT p.grid_code, c.minor_name AS category, p.lon, p.lat, p.n, p.first_at, p.last_at, p.open_n,
       v.name AS village, g.name AS grid
FROM p
JOIN categories AS c ON c.code = p.category_code
JOIN grids AS g ON g.code = p.grid_code
JOIN regions AS v ON v.code = g.village_code
ORDER BY p.n DESC, p.last_at DESC, p.grid_code, c.minor_name
LIMIT $limit
