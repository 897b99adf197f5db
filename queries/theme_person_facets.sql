-- theme_person_facets: listed key persons and their scheduled visits, by category and unit
--
-- Purpose: the 重点人群 page in one query: persons listed at the period end per category,
--   risk level, map unit and unit × category, and the visits of those persons due in the
--   period (走访率 as in the KPI registry: made on or before the due day), with the
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
    -- @include persons_filtered
),
v AS (
    SELECT v.person_id,
           count(*) AS due,
           count(*) FILTER (WHERE CAST(v.visited_at AS DATE) <= v.due_date) AS ontime,
           count(*) FILTER (WHERE CAST(v.visited_at AS DATE) > v.due_date) AS late,
           count(*) FILTER (WHERE v.visited_at IS NULL AND v.due_date < $today) AS missed
    FROM visits AS v
    WHERE starts_with(v.grid_code, $prefix)
      AND v.due_date >= CAST($start AS DATE) AND v.due_date < CAST($end AS DATE)
      AND v.person_id IN (SELECT id FROM p)
    GROUP BY v.person_id
),
j AS (
    SELECT p.category, p.risk_level, substr(p.grid_code, 1, $unit_len) AS unit,
           coalesce(v.due, 0) AS due, coalesce(v.ontime, 0) AS ontime,
           coalesce(v.late, 0) AS late, coalesce(v.missed, 0) AS missed
    FROM p LEFT JOIN v ON v.person_id = p.id
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
           count(*) AS persons, sum(due) AS due, sum(ontime) AS ontime, sum(late) AS late,
           sum(missed) AS missed
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
