-- ingest_clean_hazards: the good rows of a checked batch in the shape of `hazards`
--
-- Purpose: grid given or assigned ('' outside every grid), the grid's centre when only a
--   code was given.
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: the hazards columns without id, plus _r and _line.
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT c.hazard_no, c.type, c.risk_level, coalesce(c.grid_code, c._grid, '') AS grid_code,
       coalesce(c._lon, g.lon) AS lon, coalesce(c._lat, g.lat) AS lat, c.source, c.found_at,
       c.deadline_at, c.rectified_at, c.dept_code, c._r, c._line
FROM ingest_checked AS c
LEFT JOIN grids AS g ON g.code = c.grid_code
WHERE c._rule IS NULL;
