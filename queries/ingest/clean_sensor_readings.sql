-- ingest/clean_sensor_readings: the good rows of a checked batch, sensor code → id
--
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: sensor_code, sensor_id, read_at, value, _r, _line.
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT c.sensor_code, s.id AS sensor_id, c.read_at, c.value, c._r, c._line
FROM ingest_checked AS c
JOIN sensors AS s ON s.code = c.sensor_code
WHERE c._rule IS NULL;
