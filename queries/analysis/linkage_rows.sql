-- analysis/linkage_rows: the 四级联动 period table's day rows from hand-offs and stays (a
-- block, not a query)
--
-- Purpose: the one definition of linkage_city's day rows (queries/analysis/period_schema.sql)
--   per county: flow (上报上级 from tier → to tier) and transfer (转派 from department → to
--   department) hand-offs on their day, final (the tier that finally handled each closed
--   case: its first stay) and dwell (each stay's hours by histogram bin) on the closing
--   day. Included by analysis/period_fill.sql over the stored handoff_daily and
--   closure_stays, and by analysis/period_add.sql over an insert-only batch's own rows
--   (the TEMP tables of analysis/new_cases.sql): the rows are sums, so a batch's rows add.
-- @slot handoffs: handoff_daily analysis_handoffs_new
-- @slot stays: closure_stays analysis_stays_new
-- Parameters: $since  DATE, the first day read.
-- Columns: day, county, facet, key, key2, bin, n, hours_sum.
SELECT day, left(grid_code, 6) AS county, 'flow' AS facet, from_tier AS key,
       to_tier AS key2, NULL::SMALLINT AS bin, sum(n) AS n, 0.0 AS hours_sum
FROM {{handoffs}} WHERE kind = '上报上级' AND day >= $since GROUP BY ALL
UNION ALL
SELECT day, left(grid_code, 6), 'transfer', from_dept, to_dept, NULL, sum(n), 0.0
FROM {{handoffs}} WHERE kind = '转派' AND day >= $since GROUP BY ALL
UNION ALL
SELECT day, left(grid_code, 6), 'final', final_tier, '', NULL, count(*), 0.0
FROM {{stays}} WHERE first AND day >= $since GROUP BY ALL
UNION ALL
SELECT day, left(grid_code, 6), 'dwell', tier, '',
       CAST(floor(100 * log10(greatest(hours, 0.001))) AS SMALLINT), count(*),
       sum(hours)
FROM {{stays}} WHERE day >= $since GROUP BY ALL
