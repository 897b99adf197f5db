-- ingest/placed_grid: the grid a checked row is stored in (included by queries/ingest/clean_incidents.sql, _hazards.sql, _key_persons.sql)
--
-- Purpose: one rule for where a checked row goes (docs/ingest.md, placeholder points): a
--   row naming its grid keeps it; a row at no placeholder point keeps the grid under its
--   point; a placeholder row is placed by its region column (the region's code padded to
--   15 digits) or, without one, attributed to the whole area.
-- Parameters: none. Reads `ingest_checked AS c`, `grids AS g` (by c.grid_code) and
--   `regions AS r` (the row's region, joined only for placeholder rows without a grid).
-- Columns: one expression, the grid code (the includer names it).
       CASE WHEN c.grid_code IS NOT NULL THEN c.grid_code
            WHEN c._pq IS NULL THEN coalesce(c._grid, '')
            WHEN r.parent_code IS NOT NULL THEN rpad(r.short_code, 15, '0')
            ELSE (SELECT rpad(min(short_code), 15, '0') FROM regions
                  WHERE parent_code IS NULL) END
