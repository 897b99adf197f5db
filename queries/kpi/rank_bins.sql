-- kpi/rank_bins: the durations per log bin of whole months of a city or a county
--
-- Purpose: the exact quantiles of the engine over a period holding whole months
--   (dashboard/kpi/engine.py _ranked_quantiles): per measure and bin
--   (summary/duration_bin.sql) the durations of the months $m0 .. $m1 (exclusive) of the
--   scope, from duration_bins (migration 018), so the bin holding a rank is found by
--   adding counts; the partial months' rows are added from kpi/rank_edges.sql.
-- Parameters:
--   $prefix    scope region short code of 6 digits or fewer (validated by Scope)
--   $measures  the durations wanted (VARCHAR[] of response, handle, close)
--   $m0, $m1   first whole month (DATE, a first day) and the month after the last one
-- Columns: measure, bin (INTEGER), n (BIGINT durations).
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()), list_contains().
SELECT measure, bin, sum(n) AS n
FROM duration_bins
WHERE list_contains($measures, measure) AND starts_with(county, $prefix)
  AND month >= $m0 AND month < $m1
GROUP BY ALL
