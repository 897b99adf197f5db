-- theme/person_facets: listed key persons and their scheduled visits, by category and unit
--
-- Purpose: the 重点人群 page in one query: persons listed at the period end per category,
--   risk level, map unit and unit × category, and the visits due in the period of the
--   persons the filters select (走访率 as in the KPI registry: made on or before the due
--   day; a visit counts where it was due, for the person's category), with the
--   residents of each unit for densities. Aggregates only; small counts are suppressed in
--   Python for roles without clearance.
-- Parameters: $prefix, $end, $grids, $cats as in persons_filtered; $start first due day
--   (TIMESTAMP, inclusive); $today (DATE) visits due before it and not made are 逾期未访;
--   $unit_len  length of the map unit key (6/9/12/15)
-- Columns: facet ('category' | 'risk' | 'unit' | 'unit_category'), key, key2 (category
--   for unit_category, else ''), persons, due, ontime (made by the due day), late (made
--   after it), missed (not made, due day passed), residents (unit facet only, else NULL).
-- DuckDB-only: starts_with, list_contains, GROUPING SETS with grouping().
WITH p AS (
    -- @include persons/filtered
),
j AS (
    -- one row per listed person, and one per visit due in the period (of any person the
    -- filters select, listed at the end or not: as the registry's 走访率 counts them)
    SELECT category, risk_level, substr(grid_code, 1, $unit_len) AS unit, 1 AS listed,
           0 AS due, 0 AS ontime, 0 AS late, 0 AS missed
    FROM p
    UNION ALL
    SELECT k.category, k.risk_level, substr(v.grid_code, 1, $unit_len), 0, 1,
           CAST(CAST(v.visited_at AS DATE) <= v.due_date AS INTEGER),
           CAST(CAST(v.visited_at AS DATE) > v.due_date AS INTEGER),
           CAST(v.visited_at IS NULL AND v.due_date < $today AS INTEGER)
    FROM visits AS v
    JOIN key_persons AS k ON k.id = v.person_id
    WHERE starts_with(v.grid_code, $prefix)
      AND v.due_date >= CAST($start AS DATE) AND v.due_date < CAST($end AS DATE)
      AND ($grids IS NULL OR list_contains($grids, v.grid_code))
      AND ($cats IS NULL OR list_contains($cats, k.category))
),
g AS (
    SELECT CASE WHEN grouping(unit) = 0 AND grouping(category) = 0 THEN 'unit_category'
                WHEN grouping(category) = 0 THEN 'category'
                WHEN grouping(risk_level) = 0 THEN 'risk'
                ELSE 'unit' END AS facet,
           CASE WHEN grouping(unit) = 0 THEN unit ELSE coalesce(category, risk_level) END
               AS key,
           CASE WHEN grouping(unit) = 0 AND grouping(category) = 0 THEN category ELSE '' END
               AS key2,
           sum(listed) AS persons, sum(due) AS due, sum(coalesce(ontime, 0)) AS ontime,
           sum(coalesce(late, 0)) AS late, sum(missed) AS missed
    FROM j
    GROUP BY GROUPING SETS ((category), (risk_level), (unit), (unit, category))
),
r AS (
    SELECT substr(code, 1, $unit_len) AS unit, sum(population) AS residents
    FROM grids
    WHERE starts_with(code, $prefix) AND ($grids IS NULL OR list_contains($grids, code))
    GROUP BY 1
)
SELECT g.*, CASE WHEN g.facet = 'unit' THEN r.residents END AS residents
FROM g LEFT JOIN r ON r.unit = g.key AND g.facet = 'unit'
ORDER BY facet, key, key2
