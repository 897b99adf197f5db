-- theme/repeat_places_bound: a lower bound on the count of the $limit-th repeat place
--
-- Purpose: theme/repeat_places_table.sql ranks the places of the filtered cases by their
--   count in the period; grouping every place (0.5M at three years on 10M, 2.6M cases)
--   was most of the 事件 page's repeat-place time. A place's count in any period and
--   filter is at most its number of cases in all (place_n), so: count the filtered cases
--   of the $k places in scope with the most cases in all; the $limit-th largest of those
--   counts, T, is at most the $limit-th largest over every place; and a place ranked into
--   the first $limit rows has a count of at least that, hence place_n >= T. The table
--   query then reads only the places with place_n >= T (equal rows, tested against
--   theme/repeat_places.sql over the raw cases). NULL when fewer than $limit of the $k
--   places reach $min_cases: then the caller reads every place.
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql; $min_cases (INTEGER); $limit rows; $k (INTEGER) places tried
-- Columns: bound (BIGINT or NULL).
-- DuckDB-only: starts_with, list_contains.
WITH s AS (
    -- one row per place (its first case's row), the $k with the most cases in scope
    SELECT x.place
    FROM repeat_place_cases AS x
    WHERE x.id = x.place AND starts_with(x.grid_code, $prefix)
      AND ($grids IS NULL OR list_contains($grids, x.grid_code))
    ORDER BY x.place_n DESC, x.place
    LIMIT $k
),
c AS (
    SELECT count(*) AS n
    FROM repeat_place_cases AS x
    WHERE x.place IN (SELECT place FROM s)
      AND x.reported_at >= $start AND x.reported_at < $end
      AND x.grid_code IN (SELECT g.code FROM grids AS g
                          JOIN regions AS v ON v.code = g.village_code)
      AND
          -- @include theme/case_keys
    GROUP BY x.place
    HAVING count(*) >= $min_cases
)
SELECT (SELECT n FROM c ORDER BY n DESC LIMIT 1 OFFSET $limit - 1) AS bound
