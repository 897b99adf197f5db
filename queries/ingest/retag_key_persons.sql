-- ingest/retag_key_persons: in a replacing load, rows of the replaced import that this batch
-- finds unchanged now belong to it
--
-- Purpose: `gridcmd import records --replace` (dashboard/ingest/load.py) loads a file again
--   and then removes the rows that still carry the replaced import's batches; a row this
--   load re-asserts with the same values ('same' in ingest_diff) must not be removed, so it
--   takes this batch's id. Rows another import wrote since are not touched.
-- Parameters: batch (import_batches.id of this batch). Reads TEMP ingest_diff and
--   ingest_replaced (id: the replaced batches).
-- Columns: none.
UPDATE key_persons AS k
SET batch_id = $batch
FROM ingest_diff AS d
WHERE d.op = 'same' AND k.id = d.person_id
  AND k.batch_id IN (SELECT id FROM ingest_replaced);

UPDATE key_person_pii AS p
SET batch_id = $batch
FROM ingest_diff AS d
WHERE d.op = 'same' AND p.person_id = d.person_id
  AND p.batch_id IN (SELECT id FROM ingest_replaced);
