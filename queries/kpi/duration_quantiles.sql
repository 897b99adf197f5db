-- kpi/duration_quantiles: exact median and P90 of the handling or closing times per region
-- and bucket, from case_durations alone
--
-- Purpose: kpi/incident_quantiles.sql without its arm over raw incidents, for the engine's
--   quantile KPIs when none of them is a response time (dashboard/kpi/engine.py
--   _quantiles): the overview's cards ask only the median handling time, and the three-arm
--   statement (raw incidents, case_durations twice, each behind list_contains) cost a
--   third more to plan and run than this one. Same rows, same expressions, same
--   quantile_cont, so the same values: the rows of avg_handle_hours (handle) or
--   avg_close_hours (close), one statement per measure ({{measure}}).
-- @slot measure: handle close
-- Parameters:
--   $prefix     scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $level_len  length of the region key (len($prefix), or a sub-region level's length)
--   $start      period start, inclusive (TIMESTAMP: date_from 00:00)
--   $end        period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
--   $date_from  first day of the period (DATE): the label of the one bucket without $by
--   $by         'day' | 'week' | 'month' | 'none'
-- Columns: region, period (DATE), measure, n (BIGINT rows), p50, p90 (DOUBLE hours,
--   quantile_cont: linear interpolation between ranks), as kpi/incident_quantiles.sql.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()), quantile_cont (Spark: percentile()).
SELECT region, period, '{{measure}}' AS measure, n, q[1] AS p50, q[2] AS p90
FROM (
    SELECT substr(grid_code, 1, $level_len) AS region,
           CASE $by WHEN 'day' THEN closed_day
                    WHEN 'week' THEN CAST(date_trunc('week', closed_day) AS DATE)
                    WHEN 'month' THEN CAST(date_trunc('month', closed_day) AS DATE)
                    ELSE CAST($date_from AS DATE) END AS period,
           count(*) AS n, quantile_cont({{measure}}_hours, [0.5, 0.9]) AS q
    FROM case_durations
    WHERE starts_with(grid_code, $prefix)
      AND closed_day >= CAST($start AS DATE) AND closed_day < CAST($end AS DATE)
      AND {{measure}}_hours IS NOT NULL
    GROUP BY ALL
)
