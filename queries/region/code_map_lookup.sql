-- region/code_map_lookup: the internal code of a source region or grid code
--
-- Purpose: wherever a region is named (CLI --region, accounts, URLs, API parameters) a
--   store built by `gridcmd import boundaries` accepts the source's own codes (a ward
--   "27", a precinct "27-014"); this finds the unit a typed code stands for. An exact match
--   comes first; a match that differs only in letter case is offered after it, so the
--   caller can take it when it is the only one.
-- Parameters:
--   $text  the code as typed
-- Columns: source_code, code (internal short code, or the 15-digit grid code), level (the
--   slot: city … grid), name, exact (BOOLEAN); at most 3 rows, exact first.
SELECT m.source_code, coalesce(r.short_code, m.code) AS code, m.level,
       coalesce(r.name, g.name) AS name, m.source_code = $text AS exact
FROM code_map AS m
LEFT JOIN regions AS r ON r.code = m.code
LEFT JOIN grids AS g ON g.code = m.code
WHERE m.source_code = $text OR lower(m.source_code) = lower($text)
ORDER BY exact DESC, m.source_code
LIMIT 3
