-- theme/satisfaction: follow-up ratings (回访评价) of the filtered cases, by every dimension
--
-- Purpose: the 满意度 page. Like the KPI registry's 满意率 and 参评率, it counts the
--   follow-ups made in the period (surveyed_at), here of the cases the other filters select
--   (category, source, status, grids; a survey is never before its case's report), per
--   month, 大类, department, map unit, handling-time band and rating. Reads only the
--   period's days of the read table survey_case_daily (queries/analysis/fill.sql: surveys
--   per day under their case's keys, department, rating and 处置 − 立案 band, with the
--   hours behind them).
-- Parameters: $prefix, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql; $s_start, $s_end  the period of surveyed_at (TIMESTAMP at midnight,
--   end exclusive); $unit_len  map unit key length (6/9/12/15)
-- Columns: facet ('month' | 'major' | 'department' | 'unit' | 'band' | 'rating'), key,
--   label, surveys, rated (a rating given), satisfied (满意 or 基本满意), unsatisfied (不满意),
--   mean_hours (mean 处置 − 立案 hours of the cases behind the surveys).
-- DuckDB-only: starts_with, list_contains, GROUPING SETS.
WITH b AS (
    SELECT CAST(date_trunc('month', x.day) AS DATE) AS month, c.major_code,
           c.major_name || CASE WHEN c.domain = '部件' THEN '(部件)' ELSE '' END AS major,
           coalesce(d.name, '（未指定）') AS department, substr(x.grid_code, 1, $unit_len) AS unit,
           x.band, coalesce(x.rating, '未参评') AS rating,
           x.rating IS NOT NULL AS rated, x.rating IN ('满意', '基本满意') AS satisfied,
           x.rating = '不满意' AS unsatisfied, x.surveys, x.hours_sum, x.hours_n
    FROM survey_case_daily AS x
    JOIN categories AS c ON c.code = x.category_code
    LEFT JOIN departments AS d ON d.code = x.dept_code
    WHERE x.day >= CAST($s_start AS DATE) AND x.day < CAST($s_end AS DATE) AND
          -- @include theme/case_keys
)
SELECT CASE WHEN grouping(month) = 0 THEN 'month'
            WHEN grouping(major_code) = 0 THEN 'major'
            WHEN grouping(department) = 0 THEN 'department'
            WHEN grouping(unit) = 0 THEN 'unit'
            WHEN grouping(band) = 0 THEN 'band'
            ELSE 'rating' END AS facet,
       coalesce(CAST(month AS VARCHAR), major_code, department, unit, band, rating) AS key,
       coalesce(CAST(month AS VARCHAR), major, department, unit, band, rating) AS label,
       CAST(sum(surveys) AS BIGINT) AS surveys,
       CAST(coalesce(sum(surveys) FILTER (WHERE rated), 0) AS BIGINT) AS rated,
       CAST(coalesce(sum(surveys) FILTER (WHERE satisfied), 0) AS BIGINT) AS satisfied,
       CAST(coalesce(sum(surveys) FILTER (WHERE unsatisfied), 0) AS BIGINT) AS unsatisfied,
       sum(hours_sum) / nullif(sum(hours_n), 0) AS mean_hours
FROM b
GROUP BY GROUPING SETS ((month), (major_code, major), (department), (unit), (band), (rating))
ORDER BY facet, key
