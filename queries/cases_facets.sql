-- cases_facets: counts of the filtered cases by every dimension an analyst can click
--
-- Purpose: the analyst workbench's charts and map in one scan (GROUPING SETS): cases per
--   大类, source, status, day and map unit, all under the same filters as the case table
--   (cases_page.sql), so a chart bar and the table count always agree.
-- Parameters:
--   $prefix    scope short code (validated by Scope, narrowed to the filter's region)
--   $start     first report time, inclusive (TIMESTAMP, Asia/Shanghai)
--   $end       report time bound, exclusive
--   $majors    list of 大类 codes or NULL;  $minors  list of 小类 codes or NULL — a case
--              passes when it is in any listed 大类 or 小类 (no filter when both are NULL)
--   $sources   list of sources or NULL
--   $statuses  list of statuses or NULL
--   $grids     list of 15-digit grid codes or NULL
--   $unit_len  length of the map unit key (6/9/12/15: the level below the scope)
-- Columns: facet ('major' | 'source' | 'status' | 'day' | 'unit'), key (VARCHAR: 大类 code,
--   source, status, ISO date or unit code), label (大类 name, '(部件)' added for 部件 classes; else equal to key), n (BIGINT).
-- DuckDB-only: starts_with, list_contains, GROUPING SETS with grouping().
WITH f AS (
    SELECT i.source, i.status, CAST(i.reported_at AS DATE) AS day,
           substr(i.grid_code, 1, $unit_len) AS unit, c.major_code,
           -- 部件 and 事件 both have a 市容环境: the 部件 one says so
           c.major_name || CASE WHEN c.domain = '部件' THEN '(部件)' ELSE '' END AS major_name
    FROM incidents AS i
    JOIN categories AS c ON c.code = i.category_code
    WHERE starts_with(i.grid_code, $prefix)
      AND i.reported_at >= $start AND i.reported_at < $end
      AND (($majors IS NULL AND $minors IS NULL)
           OR coalesce(list_contains($majors, c.major_code), FALSE)
           OR coalesce(list_contains($minors, c.code), FALSE))
      AND ($sources IS NULL OR list_contains($sources, i.source))
      AND ($statuses IS NULL OR list_contains($statuses, i.status))
      AND ($grids IS NULL OR list_contains($grids, i.grid_code))
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
    FROM f
    GROUP BY GROUPING SETS ((major_code, major_name), (source), (status), (day), (unit))
)
SELECT facet, key, label, n FROM g ORDER BY facet, n DESC, key
