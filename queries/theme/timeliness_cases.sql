-- theme/timeliness_cases: the 时效 page's rows of the filtered cases
--
-- Purpose: the 时效 page under any case filter (category, source, status, grids, a region
--   below the city): analysis/timeliness_rows.sql over the period's filtered cases
--   (cases/filtered.sql), summed, plus the lights of the cohort's open cases
--   (theme/open_lights.sql). The same rows theme/timeliness_city.sql reads from the period
--   table for a whole city (tested); hash aggregation only, no sort per quantile.
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql; $now current time.
-- Columns: facet, key, key2, bin, n, n_dl, ontime, hours_sum, label.
WITH f AS (
    -- @include cases/filtered
),
r AS (
    SELECT facet, key, key2, bin, sum(n) AS n, sum(n_dl) AS n_dl, sum(ontime) AS ontime,
           sum(hours_sum) AS hours_sum
    FROM (
        -- @include analysis/timeliness_rows cases=f digits=4
    )
    GROUP BY ALL
    UNION ALL
    -- @include theme/open_lights
)
-- @include theme/timeliness_labels
