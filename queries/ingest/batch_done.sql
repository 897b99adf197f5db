-- ingest/batch_done: has this batch of this file been committed by an earlier run?
--
-- Purpose: resuming after a crash and loading the same file twice both skip the batches
--   the import log already holds (dashboard/ingest/load.py). The key is the file, the
--   column map and the rules: the same file with a corrected mapping (or checked by newer
--   rules) loads again.
-- Parameters: kind, sha (SHA-256 of the file), mapping (Mapping.sha256), rules
--   (validate.RULES_VERSION), batch_no, first_line, rows_in.
-- Columns: done (count of matching log rows, 0 or 1).
SELECT count(*) AS done
FROM import_batches
WHERE kind = $kind AND file_sha256 = $sha AND mapping_sha256 = $mapping
  AND rules_version = $rules AND batch_no = $batch_no
  AND first_line = $first_line AND rows_in = $rows_in;
