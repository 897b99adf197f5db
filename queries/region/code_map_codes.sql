-- region/code_map_codes: every source code of the store
--
-- Purpose: when a typed region code is unknown, the resolver suggests the closest source
--   codes (dashboard/levels.py `resolve`); read only on that error path.
-- Parameters: none.
-- Columns: source_code.
SELECT source_code FROM code_map
