-- summary/incident_daily_rows: the rows of incident_daily from a set of incidents (included, not run
-- on its own)
--
-- Purpose: the one definition of incident_daily, included by the full refill
--   (summary/incident_daily.sql, rows=incidents) and the incremental refresh of the grids a
--   load touched (ingest/refresh_incident_daily.sql, rows=ingest_incident_rows): each case
--   contributes one "event row" per lifecycle day it reached (reported, registered,
--   dispatched, handled, closed, deadline), summed per grid, event day, category, source and
--   tier. Definitions of the columns: queries/summary/schema.sql and docs/kpi.md. A closed
--   case without a deadline (deadline_at NULL: no time limit) is neither closed_ontime nor
--   closed_late; it counts in closed_nodl (the 无时限 group, out of on-time denominators).
-- @slot rows: incidents incident_part ingest_incident_rows ingest_incident_new
-- Columns (CTE daily): grid_code, day, category_code, source, tier, then the counters in the
--   order of incident_daily.
-- DuckDB-only: epoch(ts), seconds with fractions as DOUBLE
--   (Spark: (unix_micros(b) - unix_micros(a)) / 1e6).
events AS (
    SELECT grid_code, CAST(reported_at AS DATE) AS day, category_code, source, tier,
           1 AS reported, CASE WHEN is_void THEN 1 ELSE 0 END AS void,
           0 AS registered, 0.0 AS response_sec, 0 AS escalated, 0 AS dispatched, 0 AS handled,
           0 AS closed, 0 AS closed_ontime, 0 AS closed_late, 0 AS reworked, 0 AS extended,
           0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS due, 0 AS due_closed_ontime,
           0.0 AS close_sec, 0 AS closed_nodl
    FROM {{rows}}
    UNION ALL
    SELECT grid_code, CAST(registered_at AS DATE), category_code, source, tier,
           0, 0,
           1, epoch(registered_at) - epoch(reported_at),
           CASE WHEN escalations > 0 THEN 1 ELSE 0 END, 0, 0,
           0, 0, 0, 0, 0,
           0, 0, 0, 0, 0, 0.0, 0
    FROM {{rows}}
    WHERE NOT is_void AND registered_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(dispatched_at AS DATE), category_code, source, tier,
           0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0
    FROM {{rows}}
    WHERE NOT is_void AND dispatched_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(handled_at AS DATE), category_code, source, tier,
           0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0
    FROM {{rows}}
    WHERE NOT is_void AND dispatched_at IS NOT NULL AND handled_at IS NOT NULL
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
           0, 0,
           epoch(closed_at) - epoch(reported_at),
           CASE WHEN deadline_at IS NULL THEN 1 ELSE 0 END
    FROM {{rows}}
    WHERE NOT is_void AND closed_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(deadline_at AS DATE), category_code, source, tier,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           1, CASE WHEN closed_at <= deadline_at THEN 1 ELSE 0 END, 0.0, 0
    FROM {{rows}}
    WHERE NOT is_void AND deadline_at IS NOT NULL
),
daily AS (
    SELECT grid_code, day, category_code, source, tier,
           sum(reported), sum(void), sum(registered), sum(response_sec), sum(escalated),
           sum(dispatched), sum(handled), sum(closed), sum(closed_ontime), sum(closed_late),
           sum(reworked), sum(extended), sum(online), sum(handle_n), sum(handle_sec), sum(due),
           sum(due_closed_ontime), sum(close_sec), sum(closed_nodl)
    FROM events
    GROUP BY grid_code, day, category_code, source, tier
)
