-- summary/open_cases: refill open_cases (the alerts' case candidates) from incidents
--
-- Purpose: queries/overview/alerts.sql counts the cases open at a moment $now (not void,
--   registered, with a deadline, not closed by $now). For $now at or after
--   case_window.since such a case has closed_at NULL or after `since`, so this table,
--   holding exactly those, answers it without reading incidents. Open cases first (the
--   live screen's zone maps skip the closed part: its open_until is in the past), each
--   part in grid_code order so a scope prefix prunes row groups. Run after
--   summary_case_window.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill).
DELETE FROM open_cases;

INSERT INTO open_cases (id, case_no, category_code, grid_code, lon, lat, registered_at,
                        deadline_at, open_until)
-- @include summary/open_case_rows
ORDER BY i.closed_at IS NOT NULL, i.grid_code, i.id;

SELECT count(*) AS row_count FROM open_cases;
