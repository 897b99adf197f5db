-- points_incident: the filtered cases as map points (hotspots by clustering)
--
-- Purpose: the 事件 page's hotspot layer, served by URL (/api/points/incident.geojson?...).
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases_filtered.sql (included); $now current time; $limit most points (newest first)
-- Columns: id, lon, lat, label (小类), state (status), alert ('overdue' when open past the
--   deadline now, else '').
-- DuckDB-only: starts_with, list_contains.
WITH f AS (
    -- @include cases_filtered
)
SELECT id, lon, lat, category AS label, status AS state,
       CASE WHEN NOT is_void AND closed_at IS NULL AND deadline_at < $now
            THEN 'overdue' ELSE '' END AS alert
FROM f
WHERE NOT is_void
ORDER BY reported_at DESC, id
LIMIT $limit
