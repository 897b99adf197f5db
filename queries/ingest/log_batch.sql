-- ingest/log_batch: record a committed batch in import_batches (in the batch's transaction)
--
-- Purpose: the import log; see queries/store/schema.sql import_batches.
-- Parameters: id, kind, file, sha, mapping, rules, batch_no, first_line, last_line,
--   rows_in, inserted, updated, unchanged, quarantined, outside_grid, via, started_at,
--   finished_at, tz_offset, tz_naive, tz_assumed.
-- Columns: Count (rows inserted, 1).
INSERT INTO import_batches (
    id, kind, source_file, file_sha256, batch_no, first_line, last_line, rows_in, inserted,
    updated, unchanged, quarantined, outside_grid, via, started_at, finished_at,
    mapping_sha256, rules_version, tz_offset_values, tz_naive_values, tz_assumed
) VALUES (
    $id, $kind, $file, $sha, $batch_no, $first_line, $last_line, $rows_in, $inserted,
    $updated, $unchanged, $quarantined, $outside_grid, $via, $started_at, $finished_at,
    $mapping, $rules, $tz_offset, $tz_naive, $tz_assumed
);
