-- maps/points_incident: the filtered cases as map points (hotspots by clustering)
--
-- Purpose: the 事件 page's hotspot layer, served by URL (/api/points/incident.geojson?...).
--   Only cases whose point is a place ('' the source's point, or grid_centre: the grid's
--   label point for a case given by grid code): never a geocoder's placeholder point, nor
--   a case placed by its region only (incidents.point_quality, docs/ingest.md).
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql (included); $now current time; $limit most points (newest first)
-- Columns: id, lon, lat, label (小类), state (status), alert ('overdue' when open past the
--   deadline now, else '').
-- DuckDB-only: starts_with, list_contains.
WITH f AS (
    -- @include cases/filtered
)
SELECT id, lon, lat, category AS label, status AS state,
       CASE WHEN NOT is_void AND closed_at IS NULL AND deadline_at < $now
            THEN 'overdue' ELSE '' END AS alert
FROM f
WHERE NOT is_void
  AND coalesce(point_quality, '') IN ('', 'grid_centre')
ORDER BY reported_at DESC, id
LIMIT $limit
