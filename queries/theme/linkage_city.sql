-- theme/linkage_city: the 四级联动 page of a city or a county from linkage_city
--
-- Purpose: the 四级联动 page with no filter but the period, on a whole city or one county
--   (the county's rows of the period table; a city sums its counties'): the period's
--   whole months (span 'month', [$m_start, $m_end)) and its other days (span 'day') of
--   linkage_city, summed, department codes named, and 在办 from open_case_keys
--   (theme/linkage_pending.sql). The same rows as theme/linkage.sql gives for the same
--   cases (tested).
-- Parameters: $prefix (a city's or a county's short code: 4 or 6 digits), $p_start,
--   $p_end (TIMESTAMP at midnight, end exclusive), $m_start, $m_end (DATE: the whole
--   months inside, equal when none), $now; $majors, $minors, $sources, $statuses, $grids
--   (NULL here: theme/case_keys.sql).
-- Columns: facet, key, key2, bin, n, hours_sum.
WITH r AS (
    SELECT facet, key, key2, bin, sum(n) AS n, sum(hours_sum) AS hours_sum
    FROM (
        SELECT facet, key, key2, bin, n, hours_sum FROM linkage_city
        WHERE starts_with(county, $prefix)
          AND span = 'month' AND day >= $m_start AND day < $m_end
        UNION ALL
        SELECT facet, key, key2, bin, n, hours_sum FROM linkage_city
        WHERE starts_with(county, $prefix)
          AND span = 'day' AND day >= CAST($p_start AS DATE) AND day < $m_start
        UNION ALL
        SELECT facet, key, key2, bin, n, hours_sum FROM linkage_city
        WHERE starts_with(county, $prefix)
          AND span = 'day' AND day >= $m_end AND day < CAST($p_end AS DATE)
    )
    GROUP BY ALL
),
o AS (
    -- @include theme/linkage_pending
)
SELECT facet, key, key2, bin, CAST(n AS BIGINT) AS n,
       CASE WHEN facet = 'dwell' THEN hours_sum END AS hours_sum
FROM r WHERE facet IN ('flow', 'final', 'dwell')
UNION ALL
SELECT 'transfer', coalesce(fd.name, '（未指定）'), coalesce(td.name, '（未指定）'), NULL,
       CAST(sum(r.n) AS BIGINT), NULL
FROM r
LEFT JOIN departments AS fd ON fd.code = r.key
LEFT JOIN departments AS td ON td.code = r.key2
WHERE r.facet = 'transfer'
GROUP BY 2, 3
UNION ALL
SELECT 'pending', key, '', NULL, n, NULL FROM o
ORDER BY facet, key, key2, bin
