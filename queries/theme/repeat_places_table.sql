-- theme/repeat_places_table: places with repeated complaints, from repeat_place_cases
--
-- Purpose: the 事件 page's 重复投诉点位 as theme/repeat_places.sql computes them, for any
--   case filter, when $min_cases is at least 3: a place with $min_cases filtered cases has
--   at least 3 cases of any kind, so all its cases are in repeat_place_cases (migration
--   017), and the filtered cases of the period among them give the same places, counts,
--   times and mean points as the period's filtered cases (tested). Reads 0.5M places'
--   2.6M cases at 10M instead of every case of the period; counts them per place key
--   first and computes the rest only for the places that can reach the first $limit rows.
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql; $min_cases (INTEGER, at least 3); $limit rows; $bound (BIGINT):
--   read only the places with at least that many cases in all (place_n), from
--   theme/repeat_places_bound.sql (at three years on 10M: about 2,000 of 0.5M places,
--   so the 0.5M-group count is skipped); at most $min_cases reads every place
-- Columns: as theme/repeat_places.sql: grid_code, category, lon, lat, n, first_at,
--   last_at, open_n, village, grid; most cases first.
-- DuckDB-only: starts_with, list_contains.
WITH f AS (
    SELECT x.place, x.grid_code, x.category_code, x.reported_at, x.closed_at, x.lon, x.lat
    FROM repeat_place_cases AS x
    WHERE x.reported_at >= $start AND x.reported_at < $end
      -- the places the joins below keep (a grid with its village), before the ranking
      AND x.grid_code IN (SELECT g.code FROM grids AS g
                          JOIN regions AS v ON v.code = g.village_code)
      -- only places that can reach the first $limit rows (theme/repeat_places_bound.sql;
      -- 0 or $min_cases reads every place)
      AND x.place_n >= $bound
      AND
          -- @include theme/case_keys
),
c AS (
    -- per place (one BIGINT key) only what the order needs first: at 10M over three years
    -- 2.6M cases in 0.5M places, where grouping the strings and means too cost seconds
    SELECT place, count(*) AS n, max(reported_at) AS last_at
    FROM f
    GROUP BY place
    HAVING count(*) >= $min_cases
),
top AS (
    -- every place that can be among the first $limit rows of the order below: ranked by
    -- (n, last_at) with ties kept, so the name tie-breakers see all of them
    SELECT place FROM c QUALIFY rank() OVER (ORDER BY n DESC, last_at DESC) <= $limit
),
p AS (
    -- their rows again for the rest (grid, 小类 and rounded point are the same on every
    -- row of a place); the 小类 name joined afterwards
    SELECT f.place, any_value(f.grid_code) AS grid_code,
           any_value(f.category_code) AS category_code, avg(f.lon) AS lon,
           avg(f.lat) AS lat, count(*) AS n, min(f.reported_at) AS first_at,
           max(f.reported_at) AS last_at,
           count(*) FILTER (WHERE f.closed_at IS NULL) AS open_n
    FROM f SEMI JOIN top ON top.place = f.place
    GROUP BY f.place
)
SELECT p.grid_code, c.minor_name AS category, p.lon, p.lat, p.n, p.first_at, p.last_at, p.open_n,
       v.name AS village, g.name AS grid
FROM p
JOIN categories AS c ON c.code = p.category_code
JOIN grids AS g ON g.code = p.grid_code
JOIN regions AS v ON v.code = g.village_code
ORDER BY p.n DESC, p.last_at DESC, p.grid_code, c.minor_name
LIMIT $limit
