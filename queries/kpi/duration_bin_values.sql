-- kpi/duration_bin_values: the handling or closing times of one bin of
-- kpi/duration_bins.sql
--
-- Purpose: the second statement of dashboard/kpi/engine.py _bin_quantiles: the durations
--   of the scope's period in [$lo, $hi), the hours of one bin (b / 16, (b + 1) / 16), among
--   which the caller takes a rank. Same rows as kpi/duration_bins.sql.
-- @slot measure: handle close
-- Parameters:
--   $prefix  scope region short code (validated by Scope)
--   $start   period start, inclusive (TIMESTAMP)
--   $end     period end, exclusive (TIMESTAMP)
--   $lo      the bin's first hour (DOUBLE, inclusive)
--   $hi      the next bin's first hour (DOUBLE, exclusive)
-- Columns: hours (DOUBLE).
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT {{measure}}_hours AS hours
FROM case_durations
WHERE starts_with(grid_code, $prefix)
  AND closed_day >= CAST($start AS DATE) AND closed_day < CAST($end AS DATE)
  AND {{measure}}_hours >= $lo AND {{measure}}_hours < $hi
