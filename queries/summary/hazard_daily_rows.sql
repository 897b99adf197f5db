-- summary/hazard_daily_rows: the rows of hazard_daily from a set of hazards (included, not run on
-- its own)
--
-- Purpose: the one definition of hazard_daily (隐患 per grid x day x type x risk level),
--   included by the full refill (summary/hazard_daily.sql, rows=hazards) and the
--   incremental refresh of the grids a load touched (ingest/refresh_hazard_daily.sql,
--   rows=ingest_hazard_rows). Event-day attribution (found, rectified and deadline days), so
--   open and overdue hazards at any day's end are running sums (see docs/kpi.md).
-- @slot rows: hazards ingest_hazard_rows
-- Columns (CTE daily): grid_code, day, type, risk_level, then the counters in the order of
--   hazard_daily.
events AS (
    SELECT grid_code, CAST(found_at AS DATE) AS day, type, risk_level,
           1 AS found, 0 AS rectified, 0 AS rectified_ontime, 0 AS rectified_late,
           0 AS due, 0 AS due_rectified_ontime
    FROM {{rows}}
    UNION ALL
    SELECT grid_code, CAST(rectified_at AS DATE), type, risk_level,
           0, 1,
           CASE WHEN rectified_at <= deadline_at THEN 1 ELSE 0 END,
           CASE WHEN rectified_at > deadline_at THEN 1 ELSE 0 END,
           0, 0
    FROM {{rows}}
    WHERE rectified_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(deadline_at AS DATE), type, risk_level,
           0, 0, 0, 0,
           1, CASE WHEN rectified_at <= deadline_at THEN 1 ELSE 0 END
    FROM {{rows}}
),
daily AS (
    SELECT grid_code, day, type, risk_level, sum(found), sum(rectified), sum(rectified_ontime),
           sum(rectified_late), sum(due), sum(due_rectified_ontime)
    FROM events
    GROUP BY grid_code, day, type, risk_level
)
