-- kpi/hazard_series: hazard measures per region and day, from hazard_daily
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
-- Columns: region (first $level_len digits of grid_code), day (DATE or NULL), found,
--   found_major (risk_level 重大), rectified, rectified_ontime, rectified_late, due,
--   due_rectified_ontime (BIGINT)
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT substr(grid_code, 1, $level_len) AS region,
       CASE WHEN day >= $date_from THEN day END AS day,
       sum(found) AS found,
       sum(CASE WHEN risk_level = '重大' THEN found ELSE 0 END) AS found_major,
       sum(rectified) AS rectified, sum(rectified_ontime) AS rectified_ontime,
       sum(rectified_late) AS rectified_late, sum(due) AS due,
       sum(due_rectified_ontime) AS due_rectified_ontime
FROM hazard_daily
WHERE starts_with(grid_code, $prefix)
  AND day <= $date_to
GROUP BY substr(grid_code, 1, $level_len), CASE WHEN day >= $date_from THEN day END
