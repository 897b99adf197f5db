-- kpi/incident_quantiles: exact median and P90 of the case durations per region and bucket
--
-- Purpose: the quantile KPIs of the engine (dashboard/kpi/engine.py, registry kind
--   'quantile'). A quantile cannot be added up from daily sums, so this reads the raw
--   incidents: exactly the rows the matching mean averages (docs/kpi.md), each under its
--   own event day, grouped by region key and bucket:
--     response  上报 → 立案 (registered_at - reported_at) of the non-void cases registered in
--               the period (rows of avg_response_hours);
--     handle    立案 → 处置 (handled_at - registered_at) of the non-void cases closed in the
--               period with both times (rows of avg_handle_hours);
--     close     上报 → 结案 (closed_at - reported_at) of the non-void cases closed in the
--               period (rows of avg_close_hours).
--   The response times come from raw incidents (reported order fits their registration
--   day); the handling and closing times from case_durations (migration 010: the same
--   expressions stored per closed case in closed-day order, so the same doubles and the
--   same quantiles, reading only the period's row groups of four narrow columns).
--   Buckets are labelled by their calendar start as the engine labels them: the period's
--   first day (no buckets), the day, the Monday of the week, the first of the month.
-- Parameters:
--   $prefix     scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $level_len  length of the region key (len($prefix), or a sub-region level's length)
--   $start      period start, inclusive (TIMESTAMP: date_from 00:00; a midnight, as
--               case_durations holds closing days)
--   $end        period end, exclusive (TIMESTAMP: date_to + 1 day 00:00; a midnight)
--   $date_from  first day of the period (DATE): the label of the one bucket without $by
--   $by         'day' | 'week' | 'month' | 'none'
--   $measures   the durations wanted (VARCHAR[] of response, handle, close)
-- Columns: region, period (DATE), measure, n (BIGINT rows), p50, p90 (DOUBLE hours,
--   quantile_cont: linear interpolation between ranks).
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()), epoch(), list_contains(),
--   quantile_cont (Spark: percentile()).
WITH durations AS (
-- @include kpi/duration_rows
)
SELECT region, period, measure, n, q[1] AS p50, q[2] AS p90
FROM (
    -- both quantiles from one state per group (one copy of the hours, one sort): half
    -- the memory of two quantile_cont aggregates, which a long period at 10M needs
    SELECT substr(grid_code, 1, $level_len) AS region,
           CASE $by WHEN 'day' THEN day
                    WHEN 'week' THEN CAST(date_trunc('week', day) AS DATE)
                    WHEN 'month' THEN CAST(date_trunc('month', day) AS DATE)
                    ELSE CAST($date_from AS DATE) END AS period,
           measure, count(*) AS n, quantile_cont(hours, [0.5, 0.9]) AS q
    FROM durations
    GROUP BY ALL
)
