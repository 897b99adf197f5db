-- cases/facets: counts of the filtered cases by every dimension an analyst can click
--
-- Purpose: the analyst workbench's charts and map in one scan (GROUPING SETS): cases per
--   大类, source, status, day and map unit, all under the same filters as the case table
--   (cases/page.sql), so a chart bar and the table count always agree.
-- Parameters:
--   $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids  the filters, as
--              in cases/filtered.sql (included)
--   $unit_len  length of the map unit key (6/9/12/15: the level below the scope)
-- Columns: facet ('major' | 'source' | 'status' | 'day' | 'unit'), key (VARCHAR: 大类 code,
--   source, status, ISO date or unit code), label (大类 name, '(部件)' added for 部件
--   classes; else equal to key), n (BIGINT).
-- DuckDB-only: starts_with, list_contains, GROUPING SETS with grouping().
WITH f AS (
    -- @include cases/filtered
),
g AS (
    SELECT CASE WHEN grouping(major_code) = 0 THEN 'major'
                WHEN grouping(source) = 0 THEN 'source'
                WHEN grouping(status) = 0 THEN 'status'
                WHEN grouping(day) = 0 THEN 'day'
                ELSE 'unit' END AS facet,
           coalesce(major_code, source, status, CAST(day AS VARCHAR), unit) AS key,
           coalesce(major_name, source, status, CAST(day AS VARCHAR), unit) AS label,
           count(*) AS n
    FROM (SELECT source, status, CAST(reported_at AS DATE) AS day,
                 substr(grid_code, 1, $unit_len) AS unit, major_code, major AS major_name
          FROM f)
    GROUP BY GROUPING SETS ((major_code, major_name), (source), (status), (day), (unit))
)
SELECT facet, key, label, n FROM g ORDER BY facet, n DESC, key
