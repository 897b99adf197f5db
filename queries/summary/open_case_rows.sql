-- summary/open_case_rows: the open_cases rows of incidents `i` (a block, not a query)
--
-- Purpose: included by summary/open_cases.sql (the refill) and summary/case_tables_touched.sql
--   and summary/case_tables_new.sql (the key-wise and additive refreshes), so every path
--   selects the same cases with the same columns: not void, registered, with a deadline,
--   open at case_window.since or later. The including query adds its own AND and ORDER BY.
-- Parameters: none. Reads incidents AS i and case_window AS w.
SELECT i.id, i.case_no, i.category_code, i.grid_code, i.lon, i.lat, i.registered_at,
       i.deadline_at, coalesce(i.closed_at, 'infinity'::TIMESTAMP) AS open_until
FROM incidents AS i, case_window AS w
WHERE NOT i.is_void
  AND i.registered_at IS NOT NULL
  AND i.deadline_at IS NOT NULL
  AND (i.closed_at IS NULL OR i.closed_at > w.since)
