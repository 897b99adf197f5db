-- summary/hazard_daily: refill hazard_daily (隐患 per grid x day x type x risk level)
--
-- Purpose: hazard KPIs without reading hazards rows (its rows: summary/hazard_daily_rows.sql).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in grid_code, day
--   order so a grid prefix prunes row groups: docs/schema.md, Clustering).
DELETE FROM hazard_daily;

INSERT INTO hazard_daily (
    grid_code, day, type, risk_level, found, rectified, rectified_ontime, rectified_late, due,
    due_rectified_ontime
)
WITH
    -- @include summary/hazard_daily_rows rows=hazards
SELECT * FROM daily
ORDER BY grid_code, day, type, risk_level;

SELECT count(*) AS row_count FROM hazard_daily;
