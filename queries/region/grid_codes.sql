-- region/grid_codes: the grids of a jurisdiction
--
-- Purpose: the leaves of the tree dashboard.privacy.protect works on (grids without
--   key persons count 0).
-- Parameters: $prefix  the jurisdiction's short code (validated by Scope)
-- Columns: code; ordered.
-- DuckDB-only: starts_with.
SELECT code FROM grids WHERE starts_with(code, $prefix) ORDER BY code
