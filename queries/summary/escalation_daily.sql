-- summary/escalation_daily: refill escalation_daily (hand-offs per grid x day x to_tier x kind)
--
-- Purpose: 四级联动 KPIs (escalations by tier) without reading escalations rows. The grid
--   is the case's grid (escalations carry none), so jurisdiction filters apply unchanged.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in grid_code, day
--   order so a grid prefix prunes row groups: docs/schema.md, Clustering).
DELETE FROM escalation_daily;

INSERT INTO escalation_daily (grid_code, day, to_tier, kind, escalations)
SELECT i.grid_code, CAST(e.escalated_at AS DATE) AS day, e.to_tier, e.kind, count(*)
FROM escalations AS e
JOIN incidents AS i ON i.id = e.incident_id
GROUP BY i.grid_code, CAST(e.escalated_at AS DATE), e.to_tier, e.kind
ORDER BY i.grid_code, day, e.to_tier, e.kind;

SELECT count(*) AS row_count FROM escalation_daily;
