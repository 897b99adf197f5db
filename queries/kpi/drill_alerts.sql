-- kpi/drill_alerts: drill-through rows of sensor_alerts behind KPI numerators and denominators
--
-- Purpose: every KPI value can be traced to its rows: one row per sensor_alerts row in scope that
--   counts in at least one KPI of the family for the period, with one boolean flag per
--   engine measure (the flag names equal the measure names in dashboard/kpi/registry.py).
--   Raw rows on purpose: this is detail, not overview.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (BIGINT), then BOOLEAN flags alerts (raised in the
--   period), handled (handled in the period), unhandled (raised before $end, not handled by
--   it), handle_due (handled or unhandled); ordered by id.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
WITH flags AS (
    SELECT id,
           alerted_at >= $start AND alerted_at < $end AS alerts,
           coalesce(handled_at >= $start AND handled_at < $end, FALSE) AS handled,
           handled_at IS NULL OR handled_at >= $end AS unhandled
    FROM sensor_alerts
    WHERE starts_with(grid_code, $prefix)
      AND alerted_at < $end
)
SELECT *, handled OR unhandled AS handle_due
FROM flags
WHERE alerts OR handled OR unhandled
ORDER BY id
