-- ingest/touched_visits: the (grid, day) keys of visit_daily rows a batch can change
--
-- Purpose: as ingest_touched_incidents, for visits (counted on their due day); run before
--   the write (old grid of an updated visit) and after it.
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none (inserts grid_code, day, kind, updated).
INSERT INTO ingest_touched
SELECT DISTINCT v.grid_code, v.due_date AS day, 'visits' AS kind, x.op = 'update' AS updated
FROM visits AS v
JOIN ingest_diff AS x ON x.person_id = v.person_id AND x.due_date = v.due_date
                      AND x.op <> 'same';
