-- theme/timeliness_city: the 时效 page's rows of a city or a county from timeliness_city
--
-- Purpose: the 时效 page with no filter but the period, on a whole city or one county (the
--   county's rows of the period table; a city sums its counties'): the period's whole
--   months (span 'month', [$m_start, $m_end)) and its other days (span 'day') of
--   timeliness_city, summed, plus the lights of the cohort's open cases
--   (theme/open_lights.sql). The same rows as theme/timeliness_cases.sql gives for the
--   same cases (tested): dashboard/thematic_data.py turns them into the page's frames.
-- Parameters: $prefix (a city's or a county's short code: 4 or 6 digits), $start, $end
--   (TIMESTAMP at midnight, end exclusive), $m_start, $m_end (DATE: the whole months
--   inside, equal when none), $now; $majors, $minors, $sources, $statuses, $grids (NULL
--   here: theme/case_keys.sql).
-- Columns: facet, key, key2, bin, n, n_dl, ontime, hours_sum, label.
WITH r AS (
    SELECT facet, key, key2, bin, sum(n) AS n, sum(n_dl) AS n_dl, sum(ontime) AS ontime,
           sum(hours_sum) AS hours_sum
    FROM (
        SELECT facet, key, key2, bin, n, n_dl, ontime, hours_sum FROM timeliness_city
        WHERE starts_with(county, $prefix)
          AND span = 'month' AND day >= $m_start AND day < $m_end
        UNION ALL
        SELECT facet, key, key2, bin, n, n_dl, ontime, hours_sum FROM timeliness_city
        WHERE starts_with(county, $prefix)
          AND span = 'day' AND day >= CAST($start AS DATE) AND day < $m_start
        UNION ALL
        SELECT facet, key, key2, bin, n, n_dl, ontime, hours_sum FROM timeliness_city
        WHERE starts_with(county, $prefix)
          AND span = 'day' AND day >= $m_end AND day < CAST($end AS DATE)
    )
    GROUP BY ALL
    UNION ALL
    -- @include theme/open_lights
)
-- @include theme/timeliness_labels
