-- kpi/rank_edges: the durations of a partial month of a city or a county, with their bins
--
-- Purpose: the exact quantiles of the engine over a period holding whole months
--   (dashboard/kpi/engine.py _ranked_quantiles): the rows of kpi/incident_quantiles.sql
--   in the days before the first whole month or after the last one ($start .. $end), with
--   the same rows (kpi/duration_rows.sql, included by both), each with its bin
--   (summary/duration_bin.sql).
-- Parameters:
--   $prefix    scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $measures  the durations wanted (VARCHAR[] of response, handle, close)
--   $start     first moment, inclusive (TIMESTAMP, a midnight)
--   $end       last moment, exclusive (TIMESTAMP, a midnight)
-- Columns: m (UTINYINT: the measure's position in $measures, 1-based), bin (INTEGER),
--   hours (DOUBLE); a number rather than the name, which numpy would fetch as objects.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()), epoch(), list_contains().
WITH durations AS (
-- @include kpi/duration_rows
)
SELECT CAST(list_position($measures, measure) AS UTINYINT) AS m,
-- @include summary/duration_bin
       AS bin, hours
FROM durations
