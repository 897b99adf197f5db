-- summary/incident_daily: refill incident_daily from incidents (grid x day x category x source x tier)
--
-- Purpose: the pre-aggregate behind every case KPI (its rows: summary/incident_daily_rows.sql).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in grid_code, day
--   order so a grid prefix prunes row groups: docs/schema.md, Clustering).
DELETE FROM incident_daily;

INSERT INTO incident_daily (
    grid_code, day, category_code, source, tier, reported, void, registered, response_sec,
    escalated, dispatched, handled, closed, closed_ontime, closed_late, reworked, extended,
    online, handle_n, handle_sec, due, due_closed_ontime, close_sec, closed_nodl
)
WITH
    -- @include summary/incident_daily_rows rows=incidents
SELECT * FROM daily
ORDER BY grid_code, day;

SELECT count(*) AS row_count FROM incident_daily;
