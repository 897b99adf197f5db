-- foresight/batches_followed: record that the stored scores cover the import log up to
--   batch $batch (meta 'foresight_batch'; read by foresight/batches).
-- Parameters: $batch (BIGINT).
INSERT OR REPLACE INTO meta (key, value) VALUES ('foresight_batch', CAST($batch AS VARCHAR))
