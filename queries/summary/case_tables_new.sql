-- summary/case_tables_new: the additive refresh of open_cases and recent_cases
--
-- Purpose: dashboard/kpi/summaries.py refresh_case_tables after an insert-only case batch,
--   the case window unchanged: the new cases (TEMP ingest_diff, op 'insert') are appended
--   where they belong; no stored row changes. The result equals a full refill as a set of
--   rows.
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none.
INSERT INTO open_cases (id, case_no, category_code, grid_code, lon, lat, registered_at,
                        deadline_at, open_until)
-- @include summary/open_case_rows
  AND i.case_no IN (SELECT case_no FROM ingest_diff WHERE op = 'insert')
ORDER BY i.closed_at IS NOT NULL, i.grid_code, i.id;

INSERT INTO recent_cases (id, case_no, source, category_code, grid_code, reported_at,
                          registered_at, dispatched_at, handled_at, verified_at, closed_at,
                          status, is_void)
-- @include summary/recent_case_rows
  AND i.case_no IN (SELECT case_no FROM ingest_diff WHERE op = 'insert')
ORDER BY i.reported_at, i.id;
