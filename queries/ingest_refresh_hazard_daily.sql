-- ingest_refresh_hazard_daily: recompute the hazard_daily rows of the (grid, day) keys a load touched
--
-- Purpose: the incremental form of queries/summary_hazard_daily.sql (same expressions, same
--   event-day attribution): the rows of the keys in TEMP ingest_touched (kind
--   'hazards') are deleted and recomputed from the hazards of those grids, so
--   the table equals a full refresh (tests/unit/test_ingest_summaries.py checks it).
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
-- @include ingest_refresh_keys kind=hazards table=hazard_daily


INSERT INTO hazard_daily (
    grid_code, day, type, risk_level, found, rectified, rectified_ontime, rectified_late, due,
    due_rectified_ontime
)
WITH events AS (
    SELECT grid_code, CAST(found_at AS DATE) AS day, type, risk_level,
           1 AS found, 0 AS rectified, 0 AS rectified_ontime, 0 AS rectified_late,
           0 AS due, 0 AS due_rectified_ontime
    FROM hazards
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys)
    UNION ALL
    SELECT grid_code, CAST(rectified_at AS DATE), type, risk_level,
           0, 1,
           CASE WHEN rectified_at <= deadline_at THEN 1 ELSE 0 END,
           CASE WHEN rectified_at > deadline_at THEN 1 ELSE 0 END,
           0, 0
    FROM hazards
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys) AND rectified_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(deadline_at AS DATE), type, risk_level,
           0, 0, 0, 0,
           1, CASE WHEN rectified_at <= deadline_at THEN 1 ELSE 0 END
    FROM hazards
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys)
)
SELECT grid_code, day, type, risk_level, sum(found), sum(rectified), sum(rectified_ontime),
       sum(rectified_late), sum(due), sum(due_rectified_ontime)
FROM events
SEMI JOIN ingest_keys AS k ON k.grid_code = events.grid_code AND k.day = events.day
GROUP BY grid_code, day, type, risk_level
ORDER BY day, grid_code, type, risk_level;
