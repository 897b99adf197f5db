-- region_search: regions and grids of a scope whose name contains a text
--
-- Purpose: the region picker of the filter bar searches the whole tree (about 12,000
--   regions and grids in Nantong) without shipping it to the browser.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $text    text to look for in the name (plain substring, not a pattern)
--   $n       at most this many rows
-- Columns: code (short code, or grid code), name, level, path (town and village names for
--   context); regions before grids, shorter codes first.
-- DuckDB-only: starts_with, contains.
SELECT short_code AS code, name, level, name AS path
FROM regions
WHERE starts_with(short_code, $prefix) AND contains(name, $text)
UNION ALL
SELECT g.code, g.name, 'grid', t.name || ' · ' || v.name
FROM grids AS g
JOIN regions AS v ON v.code = g.village_code
JOIN regions AS t ON t.code = v.parent_code
WHERE starts_with(g.code, $prefix) AND contains(g.name, $text)
ORDER BY length(code), code
LIMIT $n
