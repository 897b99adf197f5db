-- summary/incident_grid_counts: cases per grid code, in code order
--
-- Purpose: where summaries.refill_incident_daily cuts incident_daily's refill into ranges
--   of grid codes of about PART_INCIDENTS cases each.
-- Parameters: none.
-- Columns: grid_code, n.
SELECT grid_code, count(*) AS n
FROM incidents
GROUP BY grid_code
ORDER BY grid_code;
