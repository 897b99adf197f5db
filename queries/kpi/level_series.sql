-- kpi/level_series: every KPI measure per region of one level and day, from that level's rollup
--
-- Purpose: the KPI engine's fast path (dashboard/kpi/engine.py FAST_QUERY) when the region
--   key is a city, county, town or village code (4, 6, 9 or 12 digits): the scope itself or
--   its sub-regions at that level. The slot names the level, so the query reads one rollup
--   table (city_daily, county_daily, town_daily or village_daily); the engine fills it from
--   dashboard/kpi/scope.py REGION_LENGTHS by the key's length. Returns the level's rows
--   inside the caller's scope from $month_start (the first day of the period's month) to
--   $date_to. Flow columns are summed by the engine over the period's days; stock columns
--   hold the stock at the end of their day, so the stock at a bucket end is the region's
--   last row on or before it (each region has a row on every month start after its first
--   row, so never further back than $month_start). A period starting after the table's last
--   month start returns no rows; the engine then asks kpi_rollup_horizon.
-- @slot level: city county town village
-- Parameters:
--   $prefix      scope region short code (validated by Scope); rows are kept when
--                starts_with(region, $prefix)
--   $month_start first day of the month of the period's first day, or an earlier month
--                start (DATE)
--   $date_to     last day of the period, inclusive (DATE)
--   $columns     the measure columns wanted (VARCHAR[]; the engine asks only for
--                those its KPIs read: a narrow read of the wide table)
-- Columns: region, day (DATE), then the $columns of the rollup measure columns (dashboard/kpi/registry.py
--   ROLLUP_MEASURES: BIGINT; response_sec, handle_sec, close_sec DOUBLE), in no particular
--   order (the engine sorts the few rows itself).
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT region, day, COLUMNS($columns)
FROM {{level}}_daily
WHERE starts_with(region, $prefix)
  AND day >= $month_start
  AND day <= $date_to
