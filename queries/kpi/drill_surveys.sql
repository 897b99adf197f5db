-- kpi/drill_surveys: drill-through rows of surveys behind KPI numerators and denominators
--
-- Purpose: every KPI value can be traced to its rows: one row per surveys row in scope that
--   counts in at least one KPI of the family for the period, with one boolean flag per
--   engine measure (the flag names equal the measure names in dashboard/kpi/registry.py).
--   Raw rows on purpose: this is detail, not overview.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (the case id, BIGINT), then BOOLEAN flags surveys,
--   rated, satisfied_any; ordered by id.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT s.incident_id AS id,
       TRUE AS surveys,
       s.rating IS NOT NULL AS rated,
       coalesce(s.rating IN ('满意', '基本满意'), FALSE) AS satisfied_any
FROM surveys AS s
JOIN incidents AS i ON i.id = s.incident_id
WHERE starts_with(i.grid_code, $prefix)
  AND s.surveyed_at >= $start
  AND s.surveyed_at < $end
ORDER BY s.incident_id
