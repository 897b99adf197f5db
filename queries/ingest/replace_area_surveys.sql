-- ingest/replace_area_surveys: remove what a replaced import wrote and nothing since
-- overwrote
--
-- Purpose: as ingest_replace_hazards, for 群众满意度测评 answers: the rows that still carry
--   a replaced batch are deleted, their (area, day) keys going to TEMP ingest_touched first
--   (through ingest_touched_area_surveys on a TEMP ingest_diff of those rows) for the
--   pending refresh at the end of the transaction.
-- Parameters: none. Reads TEMP ingest_replaced (id: the replaced batches); needs TEMP
--   ingest_touched (grid_code, day, kind, updated).
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT survey_no, 'update' AS op FROM area_surveys
WHERE batch_id IN (SELECT id FROM ingest_replaced);

-- @include ingest/touched_area_surveys

DELETE FROM area_surveys WHERE batch_id IN (SELECT id FROM ingest_replaced);
