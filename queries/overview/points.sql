-- overview/points: incidents and open hazards of a village or grid as map points
--
-- Purpose: at village and grid level the overview draws recent cases (clustered) and open
--   hazards by risk level, as they stood at $now (now, or the as-of moment of a store
--   shown as of a past day: closed or rectified later means open then). Served by URL
--   (/points/<code>.geojson), never in a callback response. No personal data: category,
--   status, risk level. Records at a geocoder's placeholder point or placed by their
--   region only are left out (point_quality).
-- Parameters:
--   $prefix  12-digit village code or 15-digit grid code (inside the user's scope)
--   $since   first report time of the cases drawn (TIMESTAMP, the store's wall time)
--   $now     the moment
-- Columns: layer ('incident' | 'hazard'), id, lon, lat, label (小类 or hazard type),
--   state (case status, or the hazard's risk level), alert ('overdue' for open cases past
--   their deadline, '' otherwise); ordered by layer, id.
-- DuckDB-only: starts_with (Spark: startswith).
SELECT 'incident' AS layer, i.id, i.lon, i.lat, c.minor_name AS label,
-- @include cases/status_at
       AS state,
       CASE WHEN NOT i.is_void AND (i.closed_at IS NULL OR i.closed_at > $now)
                 AND i.deadline_at < $now
            THEN 'overdue' ELSE '' END AS alert
FROM incidents AS i
JOIN categories AS c ON c.code = i.category_code
WHERE starts_with(i.grid_code, $prefix)
  AND i.reported_at >= $since
  AND i.reported_at <= $now
  AND NOT i.is_void
  AND coalesce(i.point_quality, '') IN ('', 'grid_centre')
UNION ALL
SELECT 'hazard', id, lon, lat, type, risk_level,
       CASE WHEN deadline_at < $now THEN 'overdue' ELSE '' END
FROM hazards
WHERE starts_with(grid_code, $prefix)
  AND (rectified_at IS NULL OR rectified_at > $now)
  AND found_at <= $now
  AND coalesce(point_quality, '') IN ('', 'grid_centre')
ORDER BY layer, id
