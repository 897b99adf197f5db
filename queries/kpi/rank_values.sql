-- kpi/rank_values: the durations of one log bin of whole months of a city or a county
--
-- Purpose: the exact quantiles of the engine (dashboard/kpi/engine.py _ranked_quantiles):
--   once kpi/rank_bins.sql and kpi/rank_edges.sql put a rank in a bin, the durations of
--   that bin in the whole months, from duration_ranks (migration 018; stored in (measure,
--   bin, month) order, so only the bin's row groups are read).
-- Parameters:
--   $measure   response | handle | close
--   $bin       the bin (INTEGER, summary/duration_bin.sql)
--   $prefix    scope region short code of 6 digits or fewer (validated by Scope)
--   $m0, $m1   first whole month (DATE, a first day) and the month after the last one
-- Columns: hours (DOUBLE).
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT hours
FROM duration_ranks
WHERE measure = $measure AND bin = $bin AND starts_with(county, $prefix)
  AND month >= $m0 AND month < $m1
