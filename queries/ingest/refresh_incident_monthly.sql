-- ingest/refresh_incident_monthly: recompute the incident_monthly rows of touched (grid, month)s
--
-- Purpose: the incremental form of queries/summary/incident_monthly.sql; run after
--   ingest_refresh_incident_daily. The months of the (grid, day) keys in TEMP
--   ingest_touched (kind 'incidents') are deleted and re-rolled from incident_daily.
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_month_keys AS
SELECT DISTINCT grid_code, CAST(date_trunc('month', day) AS DATE) AS month
FROM ingest_touched WHERE kind = 'incidents';

DELETE FROM incident_monthly AS s
USING ingest_month_keys AS k
WHERE s.grid_code = k.grid_code AND s.month = k.month;

INSERT INTO incident_monthly (
    grid_code, month, category_code, source, tier, reported, void, registered, response_sec,
    escalated, dispatched, handled, closed, closed_ontime, closed_late, reworked, extended,
    online, handle_n, handle_sec, due, due_closed_ontime, close_sec, closed_nodl
)
SELECT d.grid_code, CAST(date_trunc('month', d.day) AS DATE) AS month, d.category_code,
       d.source, d.tier,
       sum(d.reported), sum(d.void), sum(d.registered), sum(d.response_sec), sum(d.escalated),
       sum(d.dispatched), sum(d.handled), sum(d.closed), sum(d.closed_ontime),
       sum(d.closed_late), sum(d.reworked), sum(d.extended), sum(d.online), sum(d.handle_n),
       sum(d.handle_sec), sum(d.due), sum(d.due_closed_ontime),
       sum(d.close_sec), sum(d.closed_nodl)
FROM incident_daily AS d
SEMI JOIN ingest_month_keys AS k
    ON k.grid_code = d.grid_code AND k.month = CAST(date_trunc('month', d.day) AS DATE)
GROUP BY d.grid_code, CAST(date_trunc('month', d.day) AS DATE), d.category_code, d.source,
         d.tier
ORDER BY month, d.grid_code, d.category_code, d.source, d.tier;
