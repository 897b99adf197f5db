-- ingest/replace_sensor_readings: remove what a replaced import wrote and nothing since overwrote
--
-- Purpose: after the new load's batches, in the same transaction: the readings that
--   still carry a replaced batch are deleted (readings feed no summary).
-- Parameters: none. Reads TEMP ingest_replaced (id: the replaced batches); needs TEMP
--   ingest_touched (grid_code, day, kind, updated).
-- Columns: none.
DELETE FROM sensor_readings WHERE batch_id IN (SELECT id FROM ingest_replaced);
