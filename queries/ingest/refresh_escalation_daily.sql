-- ingest/refresh_escalation_daily: recompute escalation_daily for grids whose cases moved
--
-- Purpose: escalation_daily counts hand-offs under the grid of their case; an update that
--   changes a case's grid moves its hand-offs. The grids of updated cases (old and new, in
--   TEMP ingest_touched with updated = true) are recomputed in full, as
--   queries/summary/escalation_daily.sql would. New cases have no hand-offs yet.
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_moved AS
SELECT DISTINCT grid_code FROM ingest_touched WHERE kind = 'incidents' AND updated;

DELETE FROM escalation_daily WHERE grid_code IN (SELECT grid_code FROM ingest_moved);

INSERT INTO escalation_daily (grid_code, day, to_tier, kind, escalations)
SELECT i.grid_code, CAST(e.escalated_at AS DATE) AS day, e.to_tier, e.kind, count(*)
FROM escalations AS e
JOIN incidents AS i ON i.id = e.incident_id
WHERE i.grid_code IN (SELECT grid_code FROM ingest_moved)
GROUP BY i.grid_code, CAST(e.escalated_at AS DATE), e.to_tier, e.kind
ORDER BY day, i.grid_code, e.to_tier, e.kind;
