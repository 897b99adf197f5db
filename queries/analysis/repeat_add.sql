-- analysis/repeat_add: the repeat places of an insert-only batch's new cases (migration 017)
--
-- Purpose: the additive form of queries/analysis/repeat_fill.sql. A new case changes only
--   its own place (grid, 小类, lon and lat rounded to 0.001°): the place may reach 3 cases,
--   and every case of it gets the new count. So the rows of the new cases' places are
--   deleted and computed again from incidents, with the same rule and the same key (the
--   smallest id of the place's cases), instead of every row of their grids (5.4k rows
--   rewritten for a 10-case batch at 10M, 0.77 MiB of write-ahead log). Equals a full
--   refill (tests/unit/test_analysis_tables.py, a batch joining a repeat place).
-- Parameters: none. Reads TEMP ingest_diff (op 'insert': the batch's new cases).
-- Columns: none.
CREATE OR REPLACE TEMP TABLE repeat_new_places AS
SELECT DISTINCT grid_code, category_code, round(lon, 3) AS lon3, round(lat, 3) AS lat3
FROM incidents
WHERE case_no IN (SELECT case_no FROM ingest_diff WHERE op = 'insert')
  AND NOT is_void AND coalesce(point_quality, '') = '';

DELETE FROM repeat_place_cases AS r
USING repeat_new_places AS p
WHERE r.grid_code = p.grid_code AND r.category_code = p.category_code
  AND r.lon3 = p.lon3 AND r.lat3 = p.lat3;

INSERT INTO repeat_place_cases
WITH c AS (
    SELECT i.id, i.grid_code, i.category_code, i.source, i.status, i.reported_at,
           i.closed_at, i.lon, i.lat, round(i.lon, 3) AS lon3, round(i.lat, 3) AS lat3
    FROM incidents AS i
    WHERE NOT i.is_void AND coalesce(i.point_quality, '') = ''
      AND i.grid_code IN (SELECT grid_code FROM repeat_new_places)
),
placed AS (
    SELECT c.* FROM c
    SEMI JOIN repeat_new_places AS p
        ON p.grid_code = c.grid_code AND p.category_code = c.category_code
       AND p.lon3 = c.lon3 AND p.lat3 = c.lat3
)
-- @include analysis/repeat_rows cases=placed
;

DROP TABLE repeat_new_places;
