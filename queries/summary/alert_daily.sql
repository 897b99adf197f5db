-- summary/alert_daily: refill alert_daily (物联告警 per grid x day x level)
--
-- Purpose: alert KPIs without reading sensor_alerts rows; alerts by alerted_at day and
--   handled by handled_at day, so unhandled alerts at a day's end are a running sum.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in grid_code, day
--   order so a grid prefix prunes row groups: docs/schema.md, Clustering).
DELETE FROM alert_daily;

INSERT INTO alert_daily (grid_code, day, level, alerts, handled)
WITH events AS (
    SELECT grid_code, CAST(alerted_at AS DATE) AS day, level, 1 AS alerts, 0 AS handled
    FROM sensor_alerts
    UNION ALL
    SELECT grid_code, CAST(handled_at AS DATE), level, 0, 1
    FROM sensor_alerts
    WHERE handled_at IS NOT NULL
)
SELECT grid_code, day, level, sum(alerts), sum(handled)
FROM events
GROUP BY grid_code, day, level
ORDER BY grid_code, day, level;

SELECT count(*) AS row_count FROM alert_daily;
