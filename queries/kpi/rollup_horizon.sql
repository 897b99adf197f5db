-- kpi/rollup_horizon: the last day of the region rollups' rows for the scope region itself
--
-- Purpose: the KPI engine's fallback when the kpi_level_series query returns no rows: either
--   the scope has no data, or the period starts after the rollups' last day (a month start
--   after all data, where every region's stocks are final). Its answer becomes the
--   $month_start of a second series query. Reads only the scope region's own rows.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); rows are kept when
--            starts_with(region, $prefix) and the code is the scope itself
-- Columns: day (DATE; NULL when the scope has no rows)
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT max(day) AS day
FROM (
    SELECT day FROM city_daily WHERE starts_with(region, $prefix) AND region = $prefix
    UNION ALL
    SELECT day FROM county_daily WHERE starts_with(region, $prefix) AND region = $prefix
    UNION ALL
    SELECT day FROM town_daily WHERE starts_with(region, $prefix) AND region = $prefix
    UNION ALL
    SELECT day FROM village_daily WHERE starts_with(region, $prefix) AND region = $prefix
) AS own
