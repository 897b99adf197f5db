-- theme_linkage: four-tier linkage (四级联动) of the filtered cases
--
-- Purpose: the 四级联动 page in one query:
--   flow      escalations (上报上级) made in the period, from tier → to tier (as the KPI
--             registry's 上报乡镇/区县/市级次数 count them);
--   transfer  transfers (转派) made in the period between departments, from → to;
--   final     the cases closed in the period by the tier that finally handled them;
--   pending   cases open now (registered, not closed, not voided) by the tier holding them;
--   dwell     hours each case closed in the period spent at each tier it passed through
--             (from arriving there — 立案, or the escalation to it — to leaving it by the
--             next escalation or 结案).
--   The cases are those the other filters select (category, source, status, grids),
--   reported before the period end.
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases_filtered.sql (included; the caller passes $start far back and $end = the period
--   end); $p_start, $p_end  the period (TIMESTAMP, end exclusive); $now current time
-- Columns: facet, key (tier, or department for transfers), key2 (to tier or department,
--   '' otherwise), n (BIGINT: escalations, transfers or cases), mean_hours, median_hours
--   (dwell only).
-- DuckDB-only: starts_with, list_contains, epoch, window functions.
WITH f AS (
    -- @include cases_filtered
),
e AS (
    SELECT e.*, fd.name AS from_name, td.name AS to_name, f.closed_at
    FROM escalations AS e
    JOIN f ON f.id = e.incident_id
    LEFT JOIN departments AS fd ON fd.code = e.from_dept
    LEFT JOIN departments AS td ON td.code = e.to_dept
),
closed AS (
    SELECT * FROM f
    WHERE NOT is_void AND closed_at >= $p_start AND closed_at < $p_end
      AND registered_at IS NOT NULL
),
arrivals AS (
    SELECT id, 'village' AS tier, registered_at AS arrived, closed_at, 0 AS seq FROM closed
    UNION ALL
    SELECT e.incident_id, e.to_tier, e.escalated_at, e.closed_at, e.seq
    FROM e JOIN closed ON closed.id = e.incident_id
    WHERE e.kind = '上报上级'
),
stays AS (
    SELECT tier, (epoch(coalesce(lead(arrived) OVER (PARTITION BY id ORDER BY arrived, seq), closed_at))
                  - epoch(arrived)) / 3600.0 AS hours
    FROM arrivals
)
SELECT 'flow' AS facet, from_tier AS key, to_tier AS key2, count(*) AS n,
       NULL::DOUBLE AS mean_hours, NULL::DOUBLE AS median_hours
FROM e
WHERE kind = '上报上级' AND escalated_at >= $p_start AND escalated_at < $p_end
GROUP BY 2, 3
UNION ALL
SELECT 'transfer', coalesce(from_name, '（未指定）'), coalesce(to_name, '（未指定）'), count(*),
       NULL, NULL
FROM e
WHERE kind = '转派' AND escalated_at >= $p_start AND escalated_at < $p_end
GROUP BY 2, 3
UNION ALL
SELECT 'final', tier, '', count(*), NULL, NULL FROM closed GROUP BY 2
UNION ALL
SELECT 'pending', tier, '', count(*), NULL, NULL
FROM f
WHERE NOT is_void AND registered_at IS NOT NULL AND registered_at <= $now
  AND (closed_at IS NULL OR closed_at > $now)
GROUP BY 2
UNION ALL
SELECT 'dwell', tier, '', count(*), avg(hours), median(hours) FROM stays GROUP BY 2
ORDER BY facet, key, key2
