-- ingest/log_quality: the data-quality counts of a committed batch's log row
--
-- Purpose: import_batches' placeholder_rows, placed_rows and no_deadline (docs/ingest.md,
--   Placeholder points; gridcmd import report), set in the batch's transaction right
--   after queries/ingest/log_batch.sql wrote the row.
-- Parameters: id, placeholder_rows, placed_rows, no_deadline.
-- Columns: Count (rows updated, 1).
UPDATE import_batches
SET placeholder_rows = $placeholder_rows, placed_rows = $placed_rows,
    no_deadline = $no_deadline
WHERE id = $id;
