-- cases/by_number: whether a case number lies in the user's jurisdiction
--
-- Purpose: the photo of a quick report (GET /cases/photo/<case_no>, dashboard/mygrid.py) is
--   served only when its case is in the scope; a case outside it returns no row, exactly
--   like a number that does not exist.
-- Parameters:
--   $prefix   scope short code (validated by Scope)
--   $case_no  the case number
-- Columns: id; zero or one row.
-- DuckDB-only: starts_with.
SELECT id
FROM incidents
WHERE case_no = $case_no
  AND starts_with(grid_code, $prefix)
