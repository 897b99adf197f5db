-- ingest/placed_point: the point a checked row is stored at (included by queries/ingest/clean_incidents.sql, _hazards.sql)
--
-- Purpose: one rule for where a checked row goes (docs/ingest.md, placeholder points): a
--   row naming its grid keeps it; a row at no placeholder point keeps the grid under its
--   point; a placeholder row is placed by its region column (the region's code padded to
--   15 digits) or, without one, attributed to the whole area.
-- Parameters: none. Reads `ingest_checked AS c`, `grids AS g` (by c.grid_code) and
--   `regions AS r` (the row's region, joined only for placeholder rows without a grid).
-- Columns: lon, lat (the source's point, the grid's or the region's label point).
       CASE WHEN c._pq IS NULL THEN coalesce(c._lon, g.lon)
            WHEN c.grid_code IS NOT NULL THEN g.lon
            WHEN r.parent_code IS NOT NULL THEN r.lon ELSE c._lon END AS lon,
       CASE WHEN c._pq IS NULL THEN coalesce(c._lat, g.lat)
            WHEN c.grid_code IS NOT NULL THEN g.lat
            WHEN r.parent_code IS NOT NULL THEN r.lat ELSE c._lat END AS lat,
