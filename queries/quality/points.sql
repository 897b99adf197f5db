-- quality/points: placeholder points per batch (import_placeholders)
--
-- Purpose: the placeholder points of the imports quality/imports.sql lists, with what
--   happened to their rows.
-- Parameters: $batches  list of import_batches ids (BIGINT[])
-- Columns: batch_id, lon, lat, reason, file_rows, file_located, rows, placed, unplaced.
SELECT batch_id, lon, lat, reason, file_rows, file_located, rows, placed, unplaced
FROM import_placeholders
WHERE list_contains($batches, batch_id)
ORDER BY batch_id, rows DESC, lon, lat
