-- ingest/retag_area_surveys: in a replacing load, answers of the replaced import that this
-- batch finds unchanged now belong to it
--
-- Purpose: as ingest_retag_hazards, for 群众满意度测评 answers (by survey_no).
-- Parameters: batch (import_batches.id of this batch). Reads TEMP ingest_diff and
--   ingest_replaced (id: the replaced batches).
-- Columns: none.
UPDATE area_surveys AS a
SET batch_id = $batch
FROM ingest_diff AS d
WHERE d.op = 'same' AND a.survey_no = d.survey_no
  AND a.batch_id IN (SELECT id FROM ingest_replaced);
