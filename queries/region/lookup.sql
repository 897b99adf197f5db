-- region/lookup: one region or grid by its internal code, with its level and name
--
-- Purpose: the region resolver (dashboard/levels.py `resolve`) tells whether a code a
--   person typed or a link carries is an internal code of the store before it tries the
--   store's source codes (code_map).
-- Parameters:
--   $code  internal short code (4/6/9/12 digits) or 15-digit grid code
-- Columns: code (short or grid code), level (city … grid), name; zero or one row.
SELECT short_code AS code, level, name FROM regions WHERE short_code = $code
UNION ALL
SELECT code, 'grid', name FROM grids WHERE code = $code
