-- ingest_write_surveys: apply ingest_diff to `surveys` (update changed, append new)
--
-- Parameters: none. Reads TEMP ingest_clean and ingest_diff.
-- Columns: none.
UPDATE surveys AS s
SET channel = c.channel, rating = c.rating
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.incident_id = c.incident_id AND d.surveyed_at = c.surveyed_at
                      AND d.op = 'update'
WHERE s.incident_id = c.incident_id AND s.surveyed_at = c.surveyed_at;

INSERT INTO surveys (incident_id, surveyed_at, channel, rating)
SELECT c.incident_id, c.surveyed_at, c.channel, c.rating
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.incident_id = c.incident_id AND d.surveyed_at = c.surveyed_at
                      AND d.op = 'insert'
ORDER BY c.surveyed_at, c.incident_id;
