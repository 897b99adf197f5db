-- kpi/drill_hazards: drill-through rows of hazards behind KPI numerators and denominators
--
-- Purpose: every KPI value can be traced to its rows: one row per hazards row in scope that
--   counts in at least one KPI of the family for the period, with one boolean flag per
--   engine measure (the flag names equal the measure names in dashboard/kpi/registry.py).
--   Raw rows on purpose: this is detail, not overview.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (BIGINT), then BOOLEAN flags found, found_major,
--   rectified, rectified_ontime, open (found before $end, not rectified by it),
--   open_overdue (open and past deadline at $end), rectify_due (rectified or open),
--   ontime_due (rectified or open_overdue); ordered by id.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
WITH flags AS (
    SELECT id,
           found_at >= $start AND found_at < $end AS found,
           found_at >= $start AND found_at < $end AND risk_level = '重大' AS found_major,
           coalesce(rectified_at >= $start AND rectified_at < $end, FALSE) AS rectified,
           coalesce(rectified_at >= $start AND rectified_at < $end
                    AND rectified_at <= deadline_at, FALSE) AS rectified_ontime,
           rectified_at IS NULL OR rectified_at >= $end AS open,
           deadline_at < $end AND (rectified_at IS NULL OR rectified_at >= $end)
               AS open_overdue
    FROM hazards
    WHERE starts_with(grid_code, $prefix)
      AND found_at < $end
)
SELECT *, rectified OR open AS rectify_due, rectified OR open_overdue AS ontime_due
FROM flags
WHERE found OR rectified OR open
ORDER BY id
