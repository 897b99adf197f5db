-- kpi/incident_series: case measures per region and day, from incident_daily
--
-- Purpose: the KPI engine's input for one family of KPIs (dashboard/kpi/engine.py). Rows
--   are summed per region key and day from the summary table, inside the caller's scope;
--   days before $date_from collapse into one row with day NULL (the opening balance that
--   stocks such as open or overdue counts need), so stocks at any day's end are running sums.
-- Parameters:
--   $prefix     scope region short code (4/6/9/12/15 digits, validated by Scope); rows are
--               kept when starts_with(grid_code, $prefix)
--   $level_len  length of the region key: len($prefix) for the scope itself, or 6/9/12/15
--               for its counties/towns/villages/grids (from a whitelist in the engine)
--   $date_from  first day of the period (DATE, Asia/Shanghai)
--   $date_to    last day of the period, inclusive (DATE)
-- Columns: region (first $level_len digits of grid_code), day (DATE or NULL), then the
--   sums of the incident_daily columns of the same names (BIGINT)
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT substr(grid_code, 1, $level_len) AS region,
       CASE WHEN day >= $date_from THEN day END AS day,
       sum(reported) AS reported, sum(void) AS void, sum(registered) AS registered,
       sum(response_sec) AS response_sec, sum(dispatched) AS dispatched,
       sum(handled) AS handled, sum(closed) AS closed, sum(closed_ontime) AS closed_ontime,
       sum(closed_late) AS closed_late, sum(reworked) AS reworked, sum(extended) AS extended,
       sum(online) AS online, sum(handle_n) AS handle_n, sum(handle_sec) AS handle_sec,
       sum(due) AS due, sum(due_closed_ontime) AS due_closed_ontime,
       sum(close_sec) AS close_sec, sum(closed_nodl) AS closed_nodl
FROM incident_daily
WHERE starts_with(grid_code, $prefix)
  AND day <= $date_to
GROUP BY substr(grid_code, 1, $level_len), CASE WHEN day >= $date_from THEN day END
