-- kpi/visit_series: due visits per region and due day, from visit_daily
--
-- Purpose: the KPI engine's input for one family of KPIs (dashboard/kpi/engine.py). Rows
--   are summed per region key and day from the summary table, inside the caller's scope.
--   This family has flows only (no stocks), so only the period's days are read; the day
--   column keeps the shape of the other series queries (never NULL here).
-- Parameters:
--   $prefix     scope region short code (4/6/9/12/15 digits, validated by Scope); rows are
--               kept when starts_with(grid_code, $prefix)
--   $level_len  length of the region key: len($prefix) for the scope itself, or 6/9/12/15
--               for its counties/towns/villages/grids (from a whitelist in the engine)
--   $date_from  first day of the period (DATE, Asia/Shanghai)
--   $date_to    last day of the period, inclusive (DATE)
-- Columns: region (first $level_len digits of grid_code), day (DATE or NULL), due,
--   visited_ontime (BIGINT)
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT substr(grid_code, 1, $level_len) AS region,
       CASE WHEN day >= $date_from THEN day END AS day,
       sum(due) AS due, sum(visited_ontime) AS visited_ontime
FROM visit_daily
WHERE starts_with(grid_code, $prefix)
  AND day >= $date_from
  AND day <= $date_to
GROUP BY substr(grid_code, 1, $level_len), CASE WHEN day >= $date_from THEN day END
