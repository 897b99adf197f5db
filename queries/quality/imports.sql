-- quality/imports: the import log per file (gridcmd import report, the 数据质量 page)
--
-- Purpose: one row per imported file (kind, name, SHA-256): its batches summed. Admin and
--   city-level users only: file names and counts are city-wide operational data.
-- Parameters:
--   $file   source file name, or NULL for every file
--   $since  first import time to list (TIMESTAMP), or NULL
-- Columns: kind, source_file, file_sha256, started_at, finished_at, batches, rows_in,
--   loaded, inserted, updated, unchanged, quarantined, outside_grid, placeholder_rows,
--   placed_rows, no_deadline (BIGINT), batch_ids (BIGINT[]); oldest first.
SELECT kind, source_file, file_sha256, min(started_at) AS started_at,
       max(finished_at) AS finished_at, count(*) AS batches, CAST(sum(rows_in) AS BIGINT) AS rows_in,
       CAST(sum(inserted + updated + unchanged) AS BIGINT) AS loaded, CAST(sum(inserted) AS BIGINT) AS inserted,
       CAST(sum(updated) AS BIGINT) AS updated, CAST(sum(unchanged) AS BIGINT) AS unchanged,
       CAST(sum(quarantined) AS BIGINT) AS quarantined,
       CAST(sum(outside_grid) AS BIGINT) AS outside_grid,
       CAST(sum(coalesce(placeholder_rows, 0)) AS BIGINT) AS placeholder_rows,
       CAST(sum(coalesce(placed_rows, 0)) AS BIGINT) AS placed_rows,
       CAST(sum(coalesce(no_deadline, 0)) AS BIGINT) AS no_deadline,
       list(id ORDER BY id) AS batch_ids
FROM import_batches
WHERE ($file IS NULL OR source_file = $file)
  AND ($since IS NULL OR started_at >= $since)
GROUP BY kind, source_file, file_sha256
ORDER BY min(id)
