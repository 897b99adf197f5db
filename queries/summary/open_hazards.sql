-- summary/open_hazards: refill open_hazards (the alerts' hazards) from hazards
--
-- Purpose: queries/overview/alerts.sql and overview/critical.sql count the hazards open at
--   a moment $now (found by $now, not rectified by $now). For $now at or after
--   case_window.since such a hazard has rectified_at NULL or after `since`: this table
--   holds exactly those, open ones first, each part in grid_code order so a scope prefix
--   prunes row groups. Run after summary_case_window; empty without a case window (the
--   queries then read hazards).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill).
DELETE FROM open_hazards;

INSERT INTO open_hazards (id, hazard_no, type, risk_level, grid_code, lon, lat, found_at,
                          open_until)
SELECT h.id, h.hazard_no, h.type, h.risk_level, h.grid_code, h.lon, h.lat, h.found_at,
       coalesce(h.rectified_at, 'infinity'::TIMESTAMP)
FROM hazards AS h, case_window AS w
WHERE h.rectified_at IS NULL OR h.rectified_at > w.since
ORDER BY h.rectified_at IS NOT NULL, h.grid_code, h.id;

SELECT count(*) AS row_count FROM open_hazards;
