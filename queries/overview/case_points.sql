-- overview/case_points: the points of some cases, by id
--
-- Purpose: overview/panel_items.sql takes an at-risk case's point from open_items; a
--   stored score of a case that is not there (closed after it was scored, not yet
--   rescored) takes it from incidents, as foresight/risk_alerts.sql does. Rare: asked only
--   for such rows.
-- Parameters:
--   $ids  list of incidents.id
-- Columns: id, lon, lat.
SELECT id, lon, lat
FROM incidents
WHERE list_contains($ids, id)
