-- ingest/replace_surveys: remove what a replaced import wrote and nothing since overwrote
--
-- Purpose: after the new load's batches, in the same transaction: the rows that still
--   carry a replaced batch (the new load neither re-asserted nor changed them: it no
--   longer has them, or quarantines them now) are deleted. Their summary keys go to TEMP
--   ingest_touched first (through ingest_touched_surveys on a TEMP ingest_diff of those rows,
--   op 'update': the grids' hand-offs and surveys are recomputed too), for the pending
--   refresh at the end of the transaction.
-- Parameters: none. Reads TEMP ingest_replaced (id: the replaced batches); needs TEMP
--   ingest_touched (grid_code, day, kind, updated).
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT incident_id, surveyed_at, 'update' AS op FROM surveys
WHERE batch_id IN (SELECT id FROM ingest_replaced);

-- @include ingest/touched_surveys

DELETE FROM surveys WHERE batch_id IN (SELECT id FROM ingest_replaced);
