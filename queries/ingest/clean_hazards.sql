-- ingest/clean_hazards: the good rows of a checked batch in the shape of `hazards`
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
-- @include ingest/placed_grid
       AS grid_code,
-- @include ingest/placed_point
       c.source, c.found_at, c.deadline_at, c.rectified_at, c.dept_code,
-- @include ingest/point_quality
       c._r, c._line
FROM ingest_checked AS c
LEFT JOIN grids AS g ON g.code = c.grid_code
-- a region by its code or its short code (one arm each: an equality join, where the OR of
-- both was a nested-loop join over every row of the batch; a region whose short code is its
-- code comes once, as before)
LEFT JOIN (SELECT code AS region_key, short_code, parent_code, lon, lat FROM regions
           UNION ALL
           SELECT short_code, short_code, parent_code, lon, lat FROM regions
           WHERE short_code IS DISTINCT FROM code) AS r
    ON r.region_key = CASE WHEN c._pq IS NOT NULL AND c.grid_code IS NULL
                           THEN c.region_code END
WHERE c._rule IS NULL;
