-- theme_satisfaction: follow-up ratings (回访评价) of the filtered cases, by every dimension
--
-- Purpose: the 满意度 page. Like the KPI registry's 满意率 and 参评率, it counts the
--   follow-ups made in the period (surveyed_at), here of the cases the other filters select
--   (category, source, status, grids; reported before the period end), per month, 大类,
--   department, map unit, handling-time band and rating.
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases_filtered.sql (included; the caller passes $start far back and $end = the period
--   end, so every case surveyed in the period is in); $s_start, $s_end  the period of
--   surveyed_at (TIMESTAMP, end exclusive); $unit_len  map unit key length (6/9/12/15)
-- Columns: facet ('month' | 'major' | 'department' | 'unit' | 'band' | 'rating'), key,
--   label, surveys, rated (a rating given), satisfied (满意 or 基本满意), unsatisfied (不满意),
--   mean_hours (mean 处置 − 立案 hours of the cases behind the surveys).
-- DuckDB-only: starts_with, list_contains, epoch, GROUPING SETS.
WITH f AS (
    -- @include cases_filtered
),
s AS (
    SELECT CAST(date_trunc('month', s.surveyed_at) AS DATE) AS month, f.major_code, f.major,
           coalesce(d.name, '（未指定）') AS department, substr(f.grid_code, 1, $unit_len) AS unit,
           (epoch(f.handled_at) - epoch(f.registered_at)) / 3600.0 AS hours,
           coalesce(s.rating, '未参评') AS rating,
           s.rating IS NOT NULL AS rated, s.rating IN ('满意', '基本满意') AS satisfied,
           s.rating = '不满意' AS unsatisfied
    FROM surveys AS s
    JOIN f ON f.id = s.incident_id
    LEFT JOIN departments AS d ON d.code = f.dept_code
    WHERE s.surveyed_at >= $s_start AND s.surveyed_at < $s_end
),
b AS (
    SELECT *, CASE WHEN hours IS NULL THEN '未处置'
                   WHEN hours < 4 THEN '1. 4小时内' WHEN hours < 24 THEN '2. 4–24小时'
                   WHEN hours < 72 THEN '3. 1–3天' WHEN hours < 168 THEN '4. 3–7天'
                   ELSE '5. 7天以上' END AS band
    FROM s
)
SELECT CASE WHEN grouping(month) = 0 THEN 'month'
            WHEN grouping(major_code) = 0 THEN 'major'
            WHEN grouping(department) = 0 THEN 'department'
            WHEN grouping(unit) = 0 THEN 'unit'
            WHEN grouping(band) = 0 THEN 'band'
            ELSE 'rating' END AS facet,
       coalesce(CAST(month AS VARCHAR), major_code, department, unit, band, rating) AS key,
       coalesce(CAST(month AS VARCHAR), major, department, unit, band, rating) AS label,
       count(*) AS surveys, count(*) FILTER (WHERE rated) AS rated,
       count(*) FILTER (WHERE satisfied) AS satisfied,
       count(*) FILTER (WHERE unsatisfied) AS unsatisfied, avg(hours) AS mean_hours
FROM b
GROUP BY GROUPING SETS ((month), (major_code, major), (department), (unit), (band), (rating))
ORDER BY facet, key
