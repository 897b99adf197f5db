-- region/code_map_source: the source code of an internal region or grid code
--
-- Purpose: screens, the CLI and reports show a region's source code beside its name on a
--   store built from a city's own boundaries (docs/ingest.md, "Codes").
-- Parameters:
--   $code  12-digit region code or 15-digit grid code
-- Columns: source_code; zero or one row.
SELECT source_code FROM code_map WHERE code = $code LIMIT 1
