-- kpi/drill_key_persons: drill-through rows of key_persons behind KPI numerators and denominators
--
-- Purpose: every KPI value can be traced to its rows: one row per key_persons row in scope that
--   is listed at the period end (重点人群数 is a stock, so only $end matters), with one boolean flag per
--   engine measure (the flag names equal the measure names in dashboard/kpi/registry.py).
--   Raw rows on purpose: this is detail, not overview.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (BIGINT), category, then the BOOLEAN flag
--   listed (listed at $end); ordered by id. No personal data (key_person_pii) is read.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT id, category, TRUE AS listed
FROM key_persons
WHERE starts_with(grid_code, $prefix)
  AND registered_at < $end
  AND (removed_at IS NULL OR removed_at >= $end)
ORDER BY id
