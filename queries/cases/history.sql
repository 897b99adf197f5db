-- cases/history: the hand-offs and follow-up ratings of one case
--
-- Purpose: the case panel's escalation list (四级联动) and its 回访 rating. Scoped like
--   case_detail: rows of a case outside the jurisdiction never come back.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $id      case id
-- Columns: kind ('escalation' | 'survey'), seq, happened_at, from_tier, to_tier, from_dept,
--   to_dept (department names), what (上报上级 / 转派, or the survey channel), rating;
--   ordered by time.
-- DuckDB-only: starts_with.
WITH scoped AS (
    SELECT id FROM incidents WHERE id = $id AND starts_with(grid_code, $prefix)
)
SELECT 'escalation' AS kind, e.seq, e.escalated_at AS happened_at, e.from_tier, e.to_tier,
       fd.name AS from_dept, td.name AS to_dept, e.kind AS what, NULL AS rating
FROM escalations AS e
JOIN scoped AS s ON s.id = e.incident_id
LEFT JOIN departments AS fd ON fd.code = e.from_dept
LEFT JOIN departments AS td ON td.code = e.to_dept
UNION ALL
SELECT 'survey', NULL, sv.surveyed_at, NULL, NULL, NULL, NULL, sv.channel, sv.rating
FROM surveys AS sv
JOIN scoped AS s ON s.id = sv.incident_id
ORDER BY happened_at, seq
