-- ingest/touched_surveys: the (grid, day) keys of survey_daily rows a batch can change
--
-- Purpose: as ingest_touched_incidents, for 回访 (counted on the survey's day under the
--   grid of its case).
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none (inserts grid_code, day, kind, updated).
INSERT INTO ingest_touched
SELECT DISTINCT i.grid_code, CAST(s.surveyed_at AS DATE) AS day, 'surveys' AS kind,
       x.op = 'update' AS updated
FROM surveys AS s
JOIN ingest_diff AS x ON x.incident_id = s.incident_id AND x.surveyed_at = s.surveyed_at
                      AND x.op <> 'same'
JOIN incidents AS i ON i.id = s.incident_id;
