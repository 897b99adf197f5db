-- theme_timeliness_stages: the lifecycle funnel of the filtered cases, with stage durations
--
-- Purpose: the 时效 page's funnel 上报→立案→派遣→处置→核查→结案: how many of the filtered cases
--   reached each stage and the hours from the previous stage (mean, median, P90). 上报
--   counts every report; later stages only cases not voided (作废).
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases_filtered.sql (included)
-- Columns: ord (1..6), stage, reached (BIGINT), mean_hours, median_hours, p90_hours (DOUBLE,
--   NULL for 上报 and for stages no case reached); ordered by ord.
-- DuckDB-only: starts_with, list_contains, unnest of a list of structs, epoch,
--   quantile_cont.
WITH f AS (
    -- @include cases_filtered
),
s AS (
    SELECT is_void, unnest([
        {'ord': 1, 'stage': '上报', 'at': reported_at, 'prev': NULL::TIMESTAMP},
        {'ord': 2, 'stage': '立案', 'at': registered_at, 'prev': reported_at},
        {'ord': 3, 'stage': '派遣', 'at': dispatched_at, 'prev': registered_at},
        {'ord': 4, 'stage': '处置', 'at': handled_at, 'prev': dispatched_at},
        {'ord': 5, 'stage': '核查', 'at': verified_at, 'prev': handled_at},
        {'ord': 6, 'stage': '结案', 'at': closed_at, 'prev': verified_at}
    ]) AS u
    FROM f
),
h AS (
    SELECT u.ord AS ord, u.stage AS stage, u.at IS NOT NULL AND (u.ord = 1 OR NOT is_void)
               AS reached,
           CASE WHEN NOT is_void THEN (epoch(u.at) - epoch(u.prev)) / 3600.0 END AS hours
    FROM s
)
SELECT ord, stage, count(*) FILTER (WHERE reached) AS reached,
       avg(hours) AS mean_hours, median(hours) AS median_hours,
       quantile_cont(hours, 0.9) AS p90_hours
FROM h
GROUP BY ord, stage
ORDER BY ord
