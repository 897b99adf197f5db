-- theme/hazard_facets: counts of the filtered hazards by every dimension of the 隐患 page
--
-- Purpose: the 隐患 page's charts and map in one scan: hazards per type, risk level,
--   rectification state, map unit and day found, plus rectifications per day (of the same
--   hazards), all under the filters of theme/hazards_filtered.sql.
-- Parameters: $prefix, $start, $end, $grids, $types, $risks, $now as in hazards_filtered;
--   $unit_len  length of the map unit key (6/9/12/15: the level below the scope)
-- Columns: facet ('type' | 'risk' | 'state' | 'unit' | 'day' | 'rectified_day'), key
--   (VARCHAR), n (BIGINT), overdue (BIGINT: of them, open past the deadline now).
-- DuckDB-only: starts_with, list_contains, GROUPING SETS with grouping().
WITH f AS (
    -- @include theme/hazards_filtered
)
SELECT CASE WHEN grouping(type) = 0 THEN 'type'
            WHEN grouping(risk_level) = 0 THEN 'risk'
            WHEN grouping(state) = 0 THEN 'state'
            WHEN grouping(unit) = 0 THEN 'unit'
            ELSE 'day' END AS facet,
       coalesce(type, risk_level, state, unit, CAST(day AS VARCHAR)) AS key,
       count(*) AS n,
       count(*) FILTER (WHERE state = '逾期未整改') AS overdue
FROM (SELECT type, risk_level, state, substr(grid_code, 1, $unit_len) AS unit,
             CAST(found_at AS DATE) AS day FROM f)
GROUP BY GROUPING SETS ((type), (risk_level), (state), (unit), (day))
UNION ALL
SELECT 'rectified_day', CAST(CAST(rectified_at AS DATE) AS VARCHAR), count(*), 0
FROM f
WHERE rectified_at IS NOT NULL AND rectified_at <= $now
GROUP BY 2
ORDER BY facet, key
