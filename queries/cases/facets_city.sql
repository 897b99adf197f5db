-- cases/facets_city: the 事件 page's facet counts of a city or a county from case_facets_city
--
-- Purpose: cases/facets.sql with no filter but the period, on a whole city or one county:
--   the period's whole months (span 'month', [$m_start, $m_end)) and its other days (span
--   'day') of case_facets_city (migration 017), summed: 大类 from the 小类 rows, days
--   from the day rows, map units from the town codes ($unit_len 6 or 9). The same rows as cases/facets.sql (tested).
-- Parameters: $prefix (a city's or a county's short code: 4 or 6 digits); $start, $end
--   (TIMESTAMP at midnight, end exclusive); $m_start, $m_end (DATE: the whole months
--   inside, equal when none); $unit_len (6 or 9).
-- Columns: as cases/facets.sql: facet, key, label, n.
-- DuckDB-only: starts_with.
WITH r AS (
    SELECT span, day, facet, key, n
    FROM case_facets_city
    WHERE starts_with(county, $prefix)
      AND ((span = 'month' AND day >= $m_start AND day < $m_end)
           OR (span = 'day' AND day >= CAST($start AS DATE) AND day < $m_start)
           OR (span = 'day' AND day >= $m_end AND day < CAST($end AS DATE)))
),
b AS (
    SELECT 'major' AS facet, c.major_code AS key,
           c.major_name || CASE WHEN c.domain = '部件' THEN '(部件)' ELSE '' END AS label, n
    FROM r JOIN categories AS c ON c.code = r.key
    WHERE r.facet = 'category'
    UNION ALL
    SELECT facet, key, key, n FROM r WHERE facet IN ('source', 'status')
    UNION ALL
    SELECT 'unit', substr(key, 1, $unit_len), substr(key, 1, $unit_len), n
    FROM r WHERE facet = 'town'
)
SELECT facet, key, label, CAST(sum(n) AS BIGINT) AS n FROM b GROUP BY facet, key, label
UNION ALL
-- days from the day rows of every day of the period (month rows would merge them)
SELECT 'day', CAST(day AS VARCHAR), CAST(day AS VARCHAR), CAST(sum(n) AS BIGINT)
FROM case_facets_city
WHERE starts_with(county, $prefix) AND span = 'day' AND facet = 'day'
  AND day >= CAST($start AS DATE) AND day < CAST($end AS DATE)
GROUP BY day
ORDER BY facet, n DESC, key
