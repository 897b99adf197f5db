-- ingest_clean_hazards: the good rows of a checked batch in the shape of `hazards`
--
-- Purpose: grid given or assigned ('' outside every grid), the grid's centre when only a
--   code was given.
--   A row at a placeholder point (TEMP ingest_checked._pq, dashboard/ingest/quality.py)
--   does not take the grid under the point: its given grid code places it (point: the
--   grid's label point), else its region code attributes it to that region (grid_code:
--   the region's code padded with zeros to 15 digits; point: the region's representative
--   point), else it is attributed to the whole area (the root region's code padded; the
--   placeholder point kept). point_quality says which ('' the source's point,
--   grid_centre, placed_by_region, placeholder); _pq and _placed_len feed the load log.
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: the hazards columns without id, plus _r, _line, _pq and _placed_len.
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT c.hazard_no, c.type, c.risk_level,
       CASE WHEN c.grid_code IS NOT NULL THEN c.grid_code
            WHEN c._pq IS NULL THEN coalesce(c._grid, '')
            WHEN r.parent_code IS NOT NULL THEN rpad(r.short_code, 15, '0')
            ELSE (SELECT rpad(min(short_code), 15, '0') FROM regions
                  WHERE parent_code IS NULL) END AS grid_code,
       CASE WHEN c._pq IS NULL THEN coalesce(c._lon, g.lon)
            WHEN c.grid_code IS NOT NULL THEN g.lon
            WHEN r.parent_code IS NOT NULL THEN r.lon ELSE c._lon END AS lon,
       CASE WHEN c._pq IS NULL THEN coalesce(c._lat, g.lat)
            WHEN c.grid_code IS NOT NULL THEN g.lat
            WHEN r.parent_code IS NOT NULL THEN r.lat ELSE c._lat END AS lat,
       c.source, c.found_at, c.deadline_at, c.rectified_at, c.dept_code,
       CASE WHEN c._pq IS NOT NULL AND (c.grid_code IS NOT NULL OR r.parent_code IS NOT NULL)
                THEN 'placed_by_region'
            WHEN c._pq IS NOT NULL THEN 'placeholder'
            WHEN c._lon IS NULL THEN 'grid_centre'
            ELSE '' END AS point_quality,
       CAST(c._pq AS VARCHAR) AS _pq,
       CASE WHEN c._pq IS NULL THEN NULL WHEN c.grid_code IS NOT NULL THEN 15
            WHEN r.parent_code IS NOT NULL THEN length(r.short_code) END AS _placed_len,
       c._r, c._line
FROM ingest_checked AS c
LEFT JOIN grids AS g ON g.code = c.grid_code
LEFT JOIN regions AS r ON c._pq IS NOT NULL AND c.grid_code IS NULL
    AND (r.code = c.region_code OR r.short_code = c.region_code)
WHERE c._rule IS NULL;
