-- theme/satisfaction_city: the 满意度 page's rows of a city or a county from satisfaction_city
--
-- Purpose: the 满意度 page with no filter but the period, on a whole city or one county (the
--   county's rows of the period table; a city sums its counties'): the period's whole
--   months (span 'month', [$m_start, $m_end)) and its other days (span 'day') of
--   satisfaction_city (migration 017), summed per facet value. The same rows as
--   theme/satisfaction.sql gives without case filters (tested against it and against pandas
--   over the raw rows): 大类 from the 小类 rows, department names from their codes, map
--   units from the town codes ($unit_len 6 or 9), months from the rating rows (every survey
--   has one rating value).
-- Parameters: $prefix (a city's or a county's short code: 4 or 6 digits); $s_start, $s_end
--   (TIMESTAMP at midnight, end exclusive); $m_start, $m_end (DATE: the whole months
--   inside, equal when none); $unit_len (6 or 9).
-- Columns: as theme/satisfaction.sql: facet, key, label, surveys, rated, satisfied,
--   unsatisfied, mean_hours.
-- DuckDB-only: starts_with.
WITH r AS (
    SELECT day, facet, key, surveys, rated, satisfied, unsatisfied, hours_sum, hours_n
    FROM satisfaction_city
    WHERE starts_with(county, $prefix)
      AND ((span = 'month' AND day >= $m_start AND day < $m_end)
           OR (span = 'day' AND day >= CAST($s_start AS DATE) AND day < $m_start)
           OR (span = 'day' AND day >= $m_end AND day < CAST($s_end AS DATE)))
),
b AS (
    SELECT 'month' AS facet, CAST(CAST(date_trunc('month', day) AS DATE) AS VARCHAR) AS key,
           CAST(CAST(date_trunc('month', day) AS DATE) AS VARCHAR) AS label, surveys, rated,
           satisfied, unsatisfied, hours_sum, hours_n
    FROM r WHERE facet = 'rating'
    UNION ALL
    SELECT 'major', c.major_code,
           c.major_name || CASE WHEN c.domain = '部件' THEN '(部件)' ELSE '' END,
           surveys, rated, satisfied, unsatisfied, hours_sum, hours_n
    FROM r JOIN categories AS c ON c.code = r.key
    WHERE r.facet = 'category'
    UNION ALL
    SELECT 'department', coalesce(d.name, '（未指定）'), coalesce(d.name, '（未指定）'),
           surveys, rated, satisfied, unsatisfied, hours_sum, hours_n
    FROM r LEFT JOIN departments AS d ON d.code = r.key
    WHERE r.facet = 'department'
    UNION ALL
    SELECT 'unit', substr(key, 1, $unit_len), substr(key, 1, $unit_len), surveys, rated,
           satisfied, unsatisfied, hours_sum, hours_n
    FROM r WHERE facet = 'town'
    UNION ALL
    SELECT facet, key, key, surveys, rated, satisfied, unsatisfied, hours_sum, hours_n
    FROM r WHERE facet = 'band'
    UNION ALL
    SELECT facet, coalesce(key, '未参评'), coalesce(key, '未参评'), surveys, rated,
           satisfied, unsatisfied, hours_sum, hours_n
    FROM r WHERE facet = 'rating'
)
SELECT facet, key, label, CAST(sum(surveys) AS BIGINT) AS surveys,
       CAST(sum(rated) AS BIGINT) AS rated, CAST(sum(satisfied) AS BIGINT) AS satisfied,
       CAST(sum(unsatisfied) AS BIGINT) AS unsatisfied,
       sum(hours_sum) / nullif(sum(hours_n), 0) AS mean_hours
FROM b
GROUP BY facet, key, label
ORDER BY facet, key
