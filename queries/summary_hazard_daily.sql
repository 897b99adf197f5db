-- summary_hazard_daily: refill hazard_daily (隐患 per grid x day x type x risk level)
--
-- Purpose: hazard KPIs without reading hazards rows; event-day attribution (found,
--   rectified and deadline days), so open and overdue hazards at any day's end are running
--   sums (see docs/kpi.md).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in day order).
DELETE FROM hazard_daily;

INSERT INTO hazard_daily (
    grid_code, day, type, risk_level, found, rectified, rectified_ontime, rectified_late, due,
    due_rectified_ontime
)
WITH events AS (
    SELECT grid_code, CAST(found_at AS DATE) AS day, type, risk_level,
           1 AS found, 0 AS rectified, 0 AS rectified_ontime, 0 AS rectified_late,
           0 AS due, 0 AS due_rectified_ontime
    FROM hazards
    UNION ALL
    SELECT grid_code, CAST(rectified_at AS DATE), type, risk_level,
           0, 1,
           CASE WHEN rectified_at <= deadline_at THEN 1 ELSE 0 END,
           CASE WHEN rectified_at > deadline_at THEN 1 ELSE 0 END,
           0, 0
    FROM hazards
    WHERE rectified_at IS NOT NULL
    UNION ALL
    SELECT grid_code, CAST(deadline_at AS DATE), type, risk_level,
           0, 0, 0, 0,
           1, CASE WHEN rectified_at <= deadline_at THEN 1 ELSE 0 END
    FROM hazards
)
SELECT grid_code, day, type, risk_level, sum(found), sum(rectified), sum(rectified_ontime),
       sum(rectified_late), sum(due), sum(due_rectified_ontime)
FROM events
GROUP BY grid_code, day, type, risk_level
ORDER BY day, grid_code, type, risk_level;

SELECT count(*) AS row_count FROM hazard_daily;
