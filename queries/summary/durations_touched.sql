-- summary/durations_touched: the key-wise refresh of case_durations
--
-- Purpose: dashboard/kpi/summaries.py refresh_overview_tables after a batch that updated
--   cases: every grid the batch touched through an incident (its old and new grid: TEMP
--   ingest_touched) is recomputed from its cases, so a case closed, reopened, voided or
--   moved to another grid leaves no stale row. The result equals a full refill
--   (summary/case_durations.sql) as a set of rows; the appended rows sit in later row
--   groups until the next full refresh re-sorts the table.
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE durations_grids AS
SELECT DISTINCT grid_code FROM ingest_touched WHERE kind = 'incidents';

DELETE FROM case_durations WHERE grid_code IN (SELECT grid_code FROM durations_grids);

INSERT INTO case_durations (grid_code, closed_day, handle_hours, close_hours)
-- @include summary/durations_of_cases
FROM incidents
WHERE grid_code IN (SELECT grid_code FROM durations_grids)
  AND NOT is_void AND closed_at IS NOT NULL
ORDER BY closed_day, grid_code;

DROP TABLE durations_grids;
