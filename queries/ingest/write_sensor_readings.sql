-- ingest/write_sensor_readings: apply ingest_diff to sensor_readings
--
-- Purpose: readings feed live views only (alerts are their own table); no summary follows.
-- Parameters: batch (import_batches.id: the rows written carry it). Reads TEMP
--   ingest_clean and ingest_diff.
-- Columns: none.
UPDATE sensor_readings AS r
SET value = c.value, batch_id = $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.sensor_id = c.sensor_id AND d.read_at = c.read_at
                      AND d.op = 'update'
WHERE r.sensor_id = c.sensor_id AND r.read_at = c.read_at;

INSERT INTO sensor_readings (sensor_id, read_at, value, batch_id)
SELECT c.sensor_id, c.read_at, c.value, $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.sensor_id = c.sensor_id AND d.read_at = c.read_at
                      AND d.op = 'insert'
ORDER BY c.read_at, c.sensor_id;
