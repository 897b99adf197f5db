-- kpi/duration_bins: the handling or closing times of a scope's period counted per
-- sixteenth of an hour, from case_durations
--
-- Purpose: the first of two statements that give kpi/duration_quantiles.sql's median and
--   P90 of a city or a county without its quantile_cont (dashboard/kpi/engine.py
--   _bin_quantiles): quantile_cont gathers every duration of the period into one
--   aggregate state and selects in one thread (at 100M, a city's 30 days are 2.75M
--   durations: about 70 ms for the median alone), where this count runs in every thread.
--   The bin holding each rank a quantile needs is found by adding counts, and only its
--   durations are read (kpi/duration_bin_values.sql). Bin b holds the hours h with
--   floor(h * 16) = b, which is b / 16 <= h < (b + 1) / 16 exactly (h * 16 and b / 16 are
--   exact in binary floating point), the range the second statement reads. Same rows as
--   kpi/duration_quantiles.sql with $by 'none' and $level_len len($prefix).
-- @slot measure: handle close
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: bin (BIGINT, ascending), n (BIGINT durations).
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT CAST(floor({{measure}}_hours * 16) AS BIGINT) AS bin, count(*) AS n
FROM case_durations
WHERE starts_with(grid_code, $prefix)
  AND closed_day >= CAST($start AS DATE) AND closed_day < CAST($end AS DATE)
  AND {{measure}}_hours IS NOT NULL
GROUP BY ALL
ORDER BY bin
