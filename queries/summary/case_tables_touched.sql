-- summary/case_tables_touched: the key-wise refresh of open_cases and recent_cases
--
-- Purpose: dashboard/kpi/summaries.py refresh_case_tables after a batch that updated cases,
--   the case window unchanged: every grid the batch touched through an incident (its old
--   and new grid: TEMP ingest_touched) gets its rows recomputed from its cases, so a case
--   closed, reopened, voided or moved to another grid leaves no stale row. A 10-case batch
--   rewrites a few hundred rows instead of both tables (290k and 361k rows at 10M). The
--   result equals a full refill (summary/open_cases.sql, summary/recent_cases.sql) as a set
--   of rows; the appended rows sit in later row groups until the window moves (a new day
--   of reports) and the tables are refilled whole in their order.
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE case_tables_grids AS
SELECT DISTINCT grid_code FROM ingest_touched WHERE kind = 'incidents';

DELETE FROM open_cases WHERE grid_code IN (SELECT grid_code FROM case_tables_grids);

INSERT INTO open_cases (id, case_no, category_code, grid_code, lon, lat, registered_at,
                        deadline_at, open_until)
-- @include summary/open_case_rows
  AND i.grid_code IN (SELECT grid_code FROM case_tables_grids)
ORDER BY i.closed_at IS NOT NULL, i.grid_code, i.id;

DELETE FROM recent_cases WHERE grid_code IN (SELECT grid_code FROM case_tables_grids);

INSERT INTO recent_cases (id, case_no, source, category_code, grid_code, reported_at,
                          registered_at, dispatched_at, handled_at, verified_at, closed_at,
                          status, is_void)
-- @include summary/recent_case_rows
  AND i.grid_code IN (SELECT grid_code FROM case_tables_grids)
ORDER BY i.reported_at, i.id;

DROP TABLE case_tables_grids;
