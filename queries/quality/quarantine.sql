-- quality/quarantine: quarantined rows per batch and rule
--
-- Purpose: the quarantine counts by rule of the imports quality/imports.sql lists.
-- Parameters: $batches  list of import_batches ids (BIGINT[])
-- Columns: batch_id, rule, n (BIGINT).
SELECT batch_id, rule, count(*) AS n
FROM quarantine
WHERE list_contains($batches, batch_id)
GROUP BY batch_id, rule
ORDER BY batch_id, n DESC, rule
