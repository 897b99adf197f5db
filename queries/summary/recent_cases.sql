-- summary/recent_cases: refill recent_cases (the feed's cases) from incidents
--
-- Purpose: queries/overview/feed.sql lists the newest cases reported in the seven days up
--   to a moment; for a moment at or after case_window.since those are all reported at or
--   after recent_since (since - 7 days), the rows of this table. Raw incidents are in
--   report order, so the refill reads only their newest row groups. Run after
--   summary_case_window.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill).
DELETE FROM recent_cases;

INSERT INTO recent_cases (id, case_no, source, category_code, grid_code, reported_at,
                          registered_at, dispatched_at, handled_at, verified_at, closed_at,
                          status, is_void)
-- @include summary/recent_case_rows
ORDER BY i.reported_at, i.id;

SELECT count(*) AS row_count FROM recent_cases;
