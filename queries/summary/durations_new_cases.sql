-- summary/durations_new_cases: the additive refresh of case_durations
--
-- Purpose: dashboard/kpi/summaries.py refresh_overview_tables after an insert-only case
--   batch: the new closed cases (TEMP ingest_diff, op 'insert') get their rows; no stored
--   row changes. The result equals a full refill (summary/case_durations.sql) as a set of
--   rows.
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none.
INSERT INTO case_durations (grid_code, closed_day, handle_hours, close_hours)
-- @include summary/durations_of_cases
FROM incidents AS i
WHERE i.case_no IN (SELECT case_no FROM ingest_diff WHERE op = 'insert')
  AND NOT i.is_void AND i.closed_at IS NOT NULL
ORDER BY closed_day, grid_code;
