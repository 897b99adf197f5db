-- region/search: regions and grids of a scope whose name contains a text
--
-- Purpose: the region picker of the filter bar searches the whole tree (about 12,000
--   regions and grids in Nantong) without shipping it to the browser.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $text    text to look for in the name (plain substring, not a pattern)
--   $n       at most this many rows
--   $hidden  levels held by pass-through regions (dashboard/levels.py): not listed, not
--            named in paths ([] for the five national levels)
-- Columns: code (short code, or grid code), name, level, path (the names of the units above
--   it, below the city: 区县 · 乡镇 · 村, '' for a county); regions before grids, shorter
--   codes first.
-- DuckDB-only: starts_with, contains.
SELECT r.short_code AS code, r.name, r.level,
       concat_ws(' · ',
                 CASE WHEN gp.level <> 'city' AND NOT list_contains($hidden, gp.level)
                      THEN gp.name END,
                 CASE WHEN p.level <> 'city' AND NOT list_contains($hidden, p.level)
                      THEN p.name END) AS path
FROM regions AS r
LEFT JOIN regions AS p ON p.code = r.parent_code
LEFT JOIN regions AS gp ON gp.code = p.parent_code
WHERE starts_with(r.short_code, $prefix) AND contains(r.name, $text)
  AND NOT list_contains($hidden, r.level)
UNION ALL
SELECT g.code, g.name, 'grid',
       concat_ws(' · ', CASE WHEN NOT list_contains($hidden, c.level) THEN c.name END,
                 CASE WHEN NOT list_contains($hidden, t.level) THEN t.name END,
                 CASE WHEN NOT list_contains($hidden, v.level) THEN v.name END)
FROM grids AS g
JOIN regions AS v ON v.code = g.village_code
JOIN regions AS t ON t.code = v.parent_code
JOIN regions AS c ON c.code = t.parent_code
WHERE starts_with(g.code, $prefix) AND contains(g.name, $text)
ORDER BY length(code), code
LIMIT $n
