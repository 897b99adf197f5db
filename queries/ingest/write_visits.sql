-- ingest/write_visits: apply ingest_diff to `visits` (update changed, append new)
--
-- Purpose: updated visits keep their id; new ones get ids after the largest, in due-day
--   order, and are appended in that order (as the demo writes them).
-- Parameters: batch (import_batches.id: the rows written carry it). Reads TEMP
--   ingest_clean and ingest_diff.
-- Columns: none.
UPDATE visits AS v
SET grid_code = c.grid_code, visited_at = c.visited_at, kind = c.kind, batch_id = $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.person_id = c.person_id AND d.due_date = c.due_date
                      AND d.op = 'update'
WHERE v.person_id = c.person_id AND v.due_date = c.due_date;

INSERT INTO visits (id, person_id, grid_code, due_date, visited_at, kind, batch_id)
SELECT (SELECT coalesce(max(id), 0) FROM visits)
           + row_number() OVER (ORDER BY c.due_date, c.person_id) AS id,
       c.person_id, c.grid_code, c.due_date, c.visited_at, c.kind, $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.person_id = c.person_id AND d.due_date = c.due_date
                      AND d.op = 'insert'
ORDER BY c.due_date, c.person_id;
