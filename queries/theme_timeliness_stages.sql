-- theme_timeliness_stages: the lifecycle funnel of the filtered cases, with stage durations
--
-- Purpose: the 时效 page's funnel 上报→立案→派遣→处置→核查→结案: how many of the filtered cases
--   reached each stage and the hours from the previous stage (mean, median, P90). 上报
--   counts every report; later stages only cases not voided (作废). One pass over the
--   period's cases: every stage is a column of one aggregate row (one sort per stage for
--   both quantiles), turned into the six rows at the end.
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases_filtered.sql (included)
-- Columns: ord (1..6), stage, reached (BIGINT), mean_hours, median_hours, p90_hours (DOUBLE,
--   NULL for 上报 and for stages no case reached); ordered by ord.
-- DuckDB-only: starts_with, list_contains, unnest of a list of structs, epoch,
--   quantile_cont with a list of fractions.
WITH f AS (
    -- @include cases_filtered
),
h AS (
    SELECT is_void, reported_at, registered_at, dispatched_at, handled_at, verified_at,
           closed_at,
           CASE WHEN NOT is_void THEN (epoch(registered_at) - epoch(reported_at)) / 3600.0
           END AS h2,
           CASE WHEN NOT is_void THEN (epoch(dispatched_at) - epoch(registered_at)) / 3600.0
           END AS h3,
           CASE WHEN NOT is_void THEN (epoch(handled_at) - epoch(dispatched_at)) / 3600.0
           END AS h4,
           CASE WHEN NOT is_void THEN (epoch(verified_at) - epoch(handled_at)) / 3600.0
           END AS h5,
           CASE WHEN NOT is_void THEN (epoch(closed_at) - epoch(verified_at)) / 3600.0
           END AS h6
    FROM f
),
a AS (
    SELECT count(reported_at) AS r1,
           count(registered_at) FILTER (WHERE NOT is_void) AS r2,
           count(dispatched_at) FILTER (WHERE NOT is_void) AS r3,
           count(handled_at) FILTER (WHERE NOT is_void) AS r4,
           count(verified_at) FILTER (WHERE NOT is_void) AS r5,
           count(closed_at) FILTER (WHERE NOT is_void) AS r6,
           avg(h2) AS m2, quantile_cont(h2, [0.5, 0.9]) AS q2,
           avg(h3) AS m3, quantile_cont(h3, [0.5, 0.9]) AS q3,
           avg(h4) AS m4, quantile_cont(h4, [0.5, 0.9]) AS q4,
           avg(h5) AS m5, quantile_cont(h5, [0.5, 0.9]) AS q5,
           avg(h6) AS m6, quantile_cont(h6, [0.5, 0.9]) AS q6
    FROM h
),
u AS (
    SELECT unnest([
        {'ord': 1, 'stage': '上报', 'reached': r1, 'mean': NULL::DOUBLE, 'q': NULL::DOUBLE[]},
        {'ord': 2, 'stage': '立案', 'reached': r2, 'mean': m2, 'q': q2},
        {'ord': 3, 'stage': '派遣', 'reached': r3, 'mean': m3, 'q': q3},
        {'ord': 4, 'stage': '处置', 'reached': r4, 'mean': m4, 'q': q4},
        {'ord': 5, 'stage': '核查', 'reached': r5, 'mean': m5, 'q': q5},
        {'ord': 6, 'stage': '结案', 'reached': r6, 'mean': m6, 'q': q6}
    ]) AS s
    FROM a
)
SELECT s.ord AS ord, s.stage AS stage, s.reached AS reached, s.mean AS mean_hours,
       s.q[1] AS median_hours, s.q[2] AS p90_hours
FROM u
ORDER BY ord
