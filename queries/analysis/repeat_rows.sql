-- analysis/repeat_rows: the repeat-place rows of a set of cases (included, not run on its own)
--
-- Purpose: the one rule of repeat_place_cases (migration 017), shared by the refill of some
--   grids (analysis/repeat_fill.sql, cases=c) and the additive refresh of some places
--   (analysis/repeat_add.sql, cases=placed): of the CTE {{cases}} (id, grid_code,
--   category_code, source, status, reported_at, closed_at, lon, lat, lon3, lat3: every
--   non-void case with its own point of the places refilled), the cases of the places
--   (grid, 小类, lon3, lat3) with 3 cases or more, each with its place's key.
-- @slot cases: c placed
-- Columns: the columns of repeat_place_cases, in report order.
SELECT place, id, grid_code, category_code, source, status, reported_at, closed_at, lon, lat,
       lon3, lat3, n AS place_n
FROM (
    -- a place's key is the smallest id of its cases: one BIGINT to group by, the same
    -- whether its grid, its place or every grid is refilled
    SELECT *, min(id) OVER w AS place, count(*) OVER w AS n
    FROM {{cases}}
    WINDOW w AS (PARTITION BY grid_code, category_code, lon3, lat3)
)
WHERE n >= 3
ORDER BY reported_at, id
