-- ingest/write_surveys: apply ingest_diff to `surveys` (update changed, append new)
--
-- Parameters: batch (import_batches.id: the rows written carry it). Reads TEMP
--   ingest_clean and ingest_diff.
-- Columns: none.
UPDATE surveys AS s
SET channel = c.channel, rating = c.rating, batch_id = $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.incident_id = c.incident_id AND d.surveyed_at = c.surveyed_at
                      AND d.op = 'update'
WHERE s.incident_id = c.incident_id AND s.surveyed_at = c.surveyed_at;

INSERT INTO surveys (incident_id, surveyed_at, channel, rating, batch_id)
SELECT c.incident_id, c.surveyed_at, c.channel, c.rating, $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.incident_id = c.incident_id AND d.surveyed_at = c.surveyed_at
                      AND d.op = 'insert'
ORDER BY c.surveyed_at, c.incident_id;
