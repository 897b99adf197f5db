-- summary/incident_monthly: refill incident_monthly, the grid x month rollup of incident_daily
--
-- Purpose: month-level overviews and reports read 30x fewer rows. Same event-day
--   attribution as incident_daily, summed per calendar month. Run after
--   summary_incident_daily.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in month order).
-- DuckDB-only: none (date_trunc('month', d) exists on Spark too; the CAST keeps it a DATE).
DELETE FROM incident_monthly;

INSERT INTO incident_monthly (
    grid_code, month, category_code, source, tier, reported, void, registered, response_sec,
    escalated, dispatched, handled, closed, closed_ontime, closed_late, reworked, extended,
    online, handle_n, handle_sec, due, due_closed_ontime, close_sec, closed_nodl
)
SELECT grid_code, CAST(date_trunc('month', day) AS DATE) AS month, category_code, source, tier,
       sum(reported), sum(void), sum(registered), sum(response_sec), sum(escalated),
       sum(dispatched), sum(handled), sum(closed), sum(closed_ontime), sum(closed_late),
       sum(reworked), sum(extended), sum(online), sum(handle_n), sum(handle_sec), sum(due),
       sum(due_closed_ontime), sum(close_sec), sum(closed_nodl)
FROM incident_daily
GROUP BY grid_code, CAST(date_trunc('month', day) AS DATE), category_code, source, tier
ORDER BY month, grid_code, category_code, source, tier;

SELECT count(*) AS row_count FROM incident_monthly;
