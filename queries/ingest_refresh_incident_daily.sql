-- ingest_refresh_incident_daily: recompute the incident_daily rows of the (grid, day) keys a load touched
--
-- Purpose: the incremental form of queries/summary_incident_daily.sql (same expressions, same
--   event-day attribution): the rows of the keys in TEMP ingest_touched (kind
--   'incidents') are deleted and recomputed from the incidents of those grids, so
--   the table equals a full refresh (tests/unit/test_ingest_summaries.py checks it).
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
-- @include ingest_refresh_keys kind=incidents table=incident_daily


INSERT INTO incident_daily (
    grid_code, day, category_code, source, tier, reported, void, registered, response_sec,
    escalated, dispatched, handled, closed, closed_ontime, closed_late, reworked, extended,
    online, handle_n, handle_sec, due, due_closed_ontime
)
WITH events AS (
    SELECT grid_code, CAST(reported_at AS DATE) AS day, category_code, source, tier,
           1 AS reported, CASE WHEN is_void THEN 1 ELSE 0 END AS void,
           0 AS registered, 0.0 AS response_sec, 0 AS escalated, 0 AS dispatched, 0 AS handled,
           0 AS closed, 0 AS closed_ontime, 0 AS closed_late, 0 AS reworked, 0 AS extended,
           0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS due, 0 AS due_closed_ontime
    FROM incidents
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys)
    UNION ALL
    SELECT grid_code, CAST(registered_at AS DATE), category_code, source, tier,
           0, 0,
           1, epoch(registered_at) - epoch(reported_at),
           CASE WHEN escalations > 0 THEN 1 ELSE 0 END, 0, 0,
           0, 0, 0, 0, 0,
           0, 0, 0, 0, 0
    FROM incidents
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys) AND NOT is_void AND registered_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(dispatched_at AS DATE), category_code, source, tier,
           0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM incidents
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys) AND NOT is_void AND dispatched_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(handled_at AS DATE), category_code, source, tier,
           0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM incidents
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys) AND NOT is_void AND dispatched_at IS NOT NULL AND handled_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(closed_at AS DATE), category_code, source, tier,
           0, 0, 0, 0, 0, 0, 0,
           1,
           CASE WHEN closed_at <= deadline_at THEN 1 ELSE 0 END,
           CASE WHEN closed_at > deadline_at THEN 1 ELSE 0 END,
           CASE WHEN rework_count > 0 THEN 1 ELSE 0 END,
           CASE WHEN extended_hours > 0 THEN 1 ELSE 0 END,
           CASE WHEN handled_online THEN 1 ELSE 0 END,
           CASE WHEN handled_at IS NOT NULL AND registered_at IS NOT NULL THEN 1 ELSE 0 END,
           coalesce(epoch(handled_at) - epoch(registered_at), 0),
           0, 0
    FROM incidents
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys) AND NOT is_void AND closed_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(deadline_at AS DATE), category_code, source, tier,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           1, CASE WHEN closed_at <= deadline_at THEN 1 ELSE 0 END
    FROM incidents
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys) AND NOT is_void AND deadline_at IS NOT NULL
)
SELECT grid_code, day, category_code, source, tier,
       sum(reported), sum(void), sum(registered), sum(response_sec), sum(escalated),
       sum(dispatched), sum(handled), sum(closed), sum(closed_ontime), sum(closed_late),
       sum(reworked), sum(extended), sum(online), sum(handle_n), sum(handle_sec), sum(due),
       sum(due_closed_ontime)
FROM events
SEMI JOIN ingest_keys AS k ON k.grid_code = events.grid_code AND k.day = events.day
GROUP BY grid_code, day, category_code, source, tier
ORDER BY day, grid_code, category_code, source, tier;
