-- ingest/diff_sensor_readings: insert / update / same per clean row (key: sensor, read_at)
--
-- Parameters: none. Reads TEMP ingest_clean.
-- Columns: sensor_id, read_at, op.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT c.sensor_id, c.read_at,
       CASE
           WHEN r.sensor_id IS NULL THEN 'insert'
           WHEN c.value IS NOT DISTINCT FROM r.value THEN 'same'
           ELSE 'update'
       END AS op
FROM ingest_clean AS c
LEFT JOIN sensor_readings AS r ON r.sensor_id = c.sensor_id AND r.read_at = c.read_at;
