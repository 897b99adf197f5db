-- quality/timezones: the time-zone assumptions of imported batches
--
-- Purpose: how many time values of a batch were naive (read as wall time in the assumed
--   zone) and how many carried an offset (converted), for stores whose import log has
--   these columns (dashboard/quality_data.py checks before running it).
-- Parameters: $batches  list of import_batches ids (BIGINT[])
-- Columns: batch_id, tz_naive_values, tz_offset_values (BIGINT), tz_assumed (VARCHAR).
SELECT id AS batch_id, tz_naive_values, tz_offset_values, tz_assumed
FROM import_batches
WHERE list_contains($batches, id)
ORDER BY id
