-- ingest/point_quality: where a row's place comes from (included by queries/ingest/clean_incidents.sql, _hazards.sql, _key_persons.sql)
--
-- Purpose: one rule for where a checked row goes (docs/ingest.md, placeholder points): a
--   row naming its grid keeps it; a row at no placeholder point keeps the grid under its
--   point; a placeholder row is placed by its region column (the region's code padded to
--   15 digits) or, without one, attributed to the whole area.
-- Parameters: none. Reads `ingest_checked AS c`, `grids AS g` (by c.grid_code) and
--   `regions AS r` (the row's region, joined only for placeholder rows without a grid).
-- Columns: point_quality ('', grid_centre, placed_by_region, placeholder), _pq (the placeholder key), _placed_len (the code length it was placed by).
       CASE WHEN c._pq IS NOT NULL AND (c.grid_code IS NOT NULL OR r.parent_code IS NOT NULL)
                THEN 'placed_by_region'
            WHEN c._pq IS NOT NULL THEN 'placeholder'
            WHEN c._lon IS NULL THEN 'grid_centre'
            ELSE '' END AS point_quality,
       CAST(c._pq AS VARCHAR) AS _pq,
       CASE WHEN c._pq IS NULL THEN NULL WHEN c.grid_code IS NOT NULL THEN 15
            WHEN r.parent_code IS NOT NULL THEN length(r.short_code) END AS _placed_len,
