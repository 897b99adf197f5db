-- kpi/drill_escalations: drill-through rows of escalations behind KPI numerators and denominators
--
-- Purpose: every KPI value can be traced to its rows: one row per escalations row in scope that
--   counts in at least one KPI of the family for the period, with one boolean flag per
--   engine measure (the flag names equal the measure names in dashboard/kpi/registry.py).
--   Raw rows on purpose: this is detail, not overview.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (the case id, BIGINT; a case appears once per
--   hand-off), then BOOLEAN flags to_town, to_county, to_city, transfers; ordered by id, seq.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT e.incident_id AS id,
       e.kind = '上报上级' AND e.to_tier = 'town' AS to_town,
       e.kind = '上报上级' AND e.to_tier = 'county' AS to_county,
       e.kind = '上报上级' AND e.to_tier = 'city' AS to_city,
       e.kind = '转派' AS transfers
FROM escalations AS e
JOIN incidents AS i ON i.id = e.incident_id
WHERE starts_with(i.grid_code, $prefix)
  AND e.escalated_at >= $start
  AND e.escalated_at < $end
ORDER BY e.incident_id, e.seq
