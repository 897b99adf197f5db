-- mygrid/hazards: the hazards awaiting re-inspection (待复查) in a grid worker's area
--
-- Purpose: 我的网格 (dashboard/mygrid_data.py). A hazard found by $now and not rectified
--   by $now whose rectification deadline falls on or before the end of $today: the worker
--   goes back to check it (复查). Overdue ones (deadline before $now) first.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $now     the moment (TIMESTAMP, the store's wall time)
--   $today_end  the end of the day of $now (TIMESTAMP, exclusive: the next midnight)
-- Columns: id, hazard_no, type, risk_level, grid_code, grid_name, found_at, deadline_at,
--   overdue (BOOLEAN: deadline_at < $now), lon, lat.
-- DuckDB-only: starts_with.
SELECT h.id, h.hazard_no, h.type, h.risk_level, h.grid_code, g.name AS grid_name,
       h.found_at, h.deadline_at, h.deadline_at < $now AS overdue, h.lon, h.lat
FROM hazards AS h
LEFT JOIN grids AS g ON g.code = h.grid_code
WHERE starts_with(h.grid_code, $prefix)
  AND h.found_at <= $now
  AND (h.rectified_at IS NULL OR h.rectified_at > $now)
  AND h.deadline_at < $today_end
ORDER BY h.deadline_at, h.id
