-- overview/items_batch_cases: the cases an import batch inserted or changed
--
-- Purpose: which cases the incremental update of open_items (overview/items_update.sql)
--   recomputes after one import or intake batch refreshed its summaries at once (the
--   additive refresh, and the key-wise one of a batch: dashboard/kpi/summaries.py): the
--   cases of TEMP ingest_diff marked 'insert' or 'update' (an updated case keeps its id,
--   so its stored row is found by it). Case numbers lie in report order in the demo and
--   in most exports, so the semi join reads few row groups of incidents.
-- Parameters: none. Reads TEMP ingest_diff (case_no, op) of an incidents batch.
-- Columns: none (creates TEMP items_cases: id).
CREATE OR REPLACE TEMP TABLE items_cases AS
SELECT i.id
FROM incidents AS i
SEMI JOIN ingest_diff AS d ON d.case_no = i.case_no AND d.op <> 'same';
