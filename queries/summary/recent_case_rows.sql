-- summary/recent_case_rows: the recent_cases rows of incidents `i` (a block, not a query)
--
-- Purpose: included by summary/recent_cases.sql (the refill) and
--   summary/case_tables_touched.sql and summary/case_tables_new.sql (the key-wise and
--   additive refreshes): every case reported at or after case_window.recent_since. The
--   including query adds its own AND and ORDER BY.
-- Parameters: none. Reads incidents AS i.
SELECT i.id, i.case_no, i.source, i.category_code, i.grid_code, i.reported_at,
       i.registered_at, i.dispatched_at, i.handled_at, i.verified_at, i.closed_at,
       i.status, i.is_void
FROM incidents AS i
WHERE i.reported_at >= (SELECT recent_since FROM case_window)
