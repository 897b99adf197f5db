-- region/area_names: the names of an account's areas
--
-- Purpose: the header's area switcher of a grid worker with several grids or villages.
-- Parameters:
--   $codes  list of short codes (12-digit villages, 15-digit grids), from the account
-- Columns: code, name; one row per code that exists.
-- DuckDB-only: list_contains.
SELECT short_code AS code, name
FROM regions
WHERE list_contains($codes, short_code)
UNION ALL
SELECT code, name
FROM grids
WHERE list_contains($codes, code)
