-- kpi/drill_incidents: drill-through rows of incidents behind KPI numerators and denominators
--
-- Purpose: every KPI value can be traced to its rows: one row per incidents row in scope that
--   counts in at least one KPI of the family for the period, with one boolean flag per
--   engine measure (the flag names equal the measure names in dashboard/kpi/registry.py).
--   Raw rows on purpose: this is detail, not overview.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (BIGINT), then BOOLEAN flags reported, void, registered,
--   handled, closed, closed_ontime, reworked, online, handle_n, closed_dl (closed with a
--   deadline: the on-time denominator, 无时限 cases left out), overdue_open (open past
--   deadline at $end), backlog (dispatched, not handled at $end), closed_due
--   (closed or overdue_open), closed_dl_due (closed_dl or overdue_open), handled_due
--   (handled or backlog); ordered by id.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
WITH flags AS (
    SELECT id,
           coalesce(reported_at >= $start AND reported_at < $end, FALSE) AS reported,
           coalesce(is_void AND reported_at >= $start AND reported_at < $end, FALSE) AS void,
           coalesce(NOT is_void AND registered_at >= $start AND registered_at < $end, FALSE)
               AS registered,
           coalesce(NOT is_void AND dispatched_at IS NOT NULL
                    AND handled_at >= $start AND handled_at < $end, FALSE) AS handled,
           coalesce(NOT is_void AND closed_at >= $start AND closed_at < $end, FALSE) AS closed,
           coalesce(NOT is_void AND closed_at >= $start AND closed_at < $end
                    AND closed_at <= deadline_at, FALSE) AS closed_ontime,
           coalesce(NOT is_void AND closed_at >= $start AND closed_at < $end
                    AND rework_count > 0, FALSE) AS reworked,
           coalesce(NOT is_void AND closed_at >= $start AND closed_at < $end
                    AND handled_online, FALSE) AS online,
           coalesce(NOT is_void AND closed_at >= $start AND closed_at < $end
                    AND handled_at IS NOT NULL AND registered_at IS NOT NULL, FALSE)
               AS handle_n,
           coalesce(NOT is_void AND closed_at >= $start AND closed_at < $end
                    AND deadline_at IS NOT NULL, FALSE) AS closed_dl,
           coalesce(NOT is_void AND deadline_at < $end
                    AND (closed_at IS NULL OR closed_at >= $end), FALSE) AS overdue_open,
           coalesce(NOT is_void AND dispatched_at < $end
                    AND (handled_at IS NULL OR handled_at >= $end), FALSE) AS backlog
    FROM incidents
    WHERE starts_with(grid_code, $prefix)
      AND reported_at < $end
)
SELECT *, closed OR overdue_open AS closed_due, closed_dl OR overdue_open AS closed_dl_due,
       handled OR backlog AS handled_due
FROM flags
WHERE reported OR registered OR handled OR closed OR overdue_open OR backlog
ORDER BY id
