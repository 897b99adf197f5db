-- maps/points_hazard: the filtered hazards as map points, coloured by risk level
--
-- Purpose: the 隐患 page's map layer, served by URL (/api/points/hazard.geojson?<filters>),
--   never in a callback response. Placeholder points and hazards placed by their region
--   only are left out (hazards.point_quality, as maps/points_incident.sql).
-- Parameters: $prefix, $start, $end, $grids, $types, $risks, $now as in hazards_filtered;
--   $limit  most points served (newest first)
-- Columns: id, lon, lat, label (type), state (risk level), alert ('overdue' when open past
--   the deadline now, else '').
-- DuckDB-only: starts_with, list_contains.
WITH f AS (
    -- @include theme/hazards_filtered
)
SELECT id, lon, lat, type AS label, risk_level AS state,
       CASE WHEN state = '逾期未整改' THEN 'overdue' ELSE '' END AS alert
FROM f
WHERE coalesce(point_quality, '') IN ('', 'grid_centre')
ORDER BY found_at DESC, id
LIMIT $limit
