-- kpi/drill_visits: drill-through rows of visits behind KPI numerators and denominators
--
-- Purpose: every KPI value can be traced to its rows: one row per visits row in scope that
--   counts in at least one KPI of the family for the period, with one boolean flag per
--   engine measure (the flag names equal the measure names in dashboard/kpi/registry.py).
--   Raw rows on purpose: this is detail, not overview.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (BIGINT), then BOOLEAN flags due (due_date in the period),
--   visited_ontime (visited on or before the due day); ordered by id.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT id,
       TRUE AS due,
       coalesce(CAST(visited_at AS DATE) <= due_date, FALSE) AS visited_ontime
FROM visits
WHERE starts_with(grid_code, $prefix)
  AND due_date >= CAST($start AS DATE)
  AND due_date < CAST($end AS DATE)
ORDER BY id
