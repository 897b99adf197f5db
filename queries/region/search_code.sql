-- region/search_code: the name of one region or grid by its short or grid code
--
-- Purpose: the filter bar shows the region of a shared link by name before anyone types.
--   The code was already checked against the user's jurisdiction by the caller.
-- Parameters:
--   $code  short code (4/6/9/12 digits) or 15-digit grid code
-- Columns: code, name; zero or one row.
SELECT short_code AS code, name FROM regions WHERE short_code = $code
UNION ALL
SELECT code, name FROM grids WHERE code = $code
