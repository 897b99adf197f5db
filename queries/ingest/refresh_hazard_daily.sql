-- ingest/refresh_hazard_daily: recompute the hazard_daily rows of the (grid, day) keys a load touched
--
-- Purpose: the incremental form of queries/summary/hazard_daily.sql (same expressions, same
--   event-day attribution): the rows of the keys in TEMP ingest_touched (kind
--   'hazards') are deleted and recomputed from the hazards of those grids, so
--   the table equals a full refresh (tests/unit/test_ingest_summaries.py checks it).
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
-- @include ingest/refresh_keys kind=hazards table=hazard_daily

-- The hazards of the touched grids (every event branch reads them through this view).
CREATE OR REPLACE TEMP VIEW ingest_hazard_rows AS
SELECT * FROM hazards WHERE grid_code IN (SELECT grid_code FROM ingest_keys);

INSERT INTO hazard_daily (
    grid_code, day, type, risk_level, found, rectified, rectified_ontime, rectified_late, due,
    due_rectified_ontime
)
WITH
    -- @include summary/hazard_daily_rows rows=ingest_hazard_rows
SELECT * FROM daily
SEMI JOIN ingest_keys AS k ON k.grid_code = daily.grid_code AND k.day = daily.day
ORDER BY day, grid_code, type, risk_level;
