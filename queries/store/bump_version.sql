-- store/bump_version: count one more write in meta data_version (queries/store/version.sql)
--
-- Purpose: Store.writer runs it after every write, so cached reads of the state before it
--   are no longer used (also by writes that log no import batch: a taxonomy or repair).
-- Parameters: none.
-- Columns: none.
INSERT INTO meta VALUES ('data_version', '1')
ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)
