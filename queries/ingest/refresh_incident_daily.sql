-- ingest/refresh_incident_daily: recompute the incident_daily rows of the (grid, day) keys a load touched
--
-- Purpose: the incremental form of queries/summary/incident_daily.sql (same expressions, same
--   event-day attribution): the rows of the keys in TEMP ingest_touched (kind
--   'incidents') are deleted and recomputed from the incidents of those grids, so
--   the table equals a full refresh (tests/unit/test_ingest_summaries.py checks it).
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
-- @include ingest/refresh_keys kind=incidents table=incident_daily

INSERT INTO incident_daily (
    grid_code, day, category_code, source, tier, reported, void, registered, response_sec,
    escalated, dispatched, handled, closed, closed_ontime, closed_late, reworked, extended,
    online, handle_n, handle_sec, due, due_closed_ontime, close_sec, closed_nodl
)
WITH
    -- The incidents of the touched grids, read once: each of the six event branches
    -- reads them, and as a view each branch scanned the whole incidents table (stored in
    -- report order, so a grid filter prunes no row group): 0.93 s of a 10-case key-wise
    -- batch at 10M.
    ingest_incident_rows AS MATERIALIZED (
        SELECT * FROM incidents WHERE grid_code IN (SELECT grid_code FROM ingest_keys)
    ),
    -- @include summary/incident_daily_rows rows=ingest_incident_rows
SELECT * FROM daily
SEMI JOIN ingest_keys AS k ON k.grid_code = daily.grid_code AND k.day = daily.day
ORDER BY day, grid_code, category_code, source, tier;
