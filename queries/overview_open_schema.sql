-- overview_open_schema: the overview's open-hazard and open-sensor-alert tables (migration
-- 010; docs/overview.md, Speed: purpose-built tables)
--
-- Purpose: like open_cases for the cases (queries/summary_schema.sql), these hold every
--   hazard and sensor alert that is open at some moment at or after case_window.since, so
--   the alerts panel (queries/overview_alerts.sql) and the critical alert
--   (overview_critical.sql) of a screen at such a moment never read the raw hazards
--   (600k rows at 10M) or sensor_alerts (1.6M). Derived data, created if missing and
--   refilled by dashboard/kpi/summaries.py refresh_open_tables with the case tables.
-- Parameters: none.
CREATE TABLE IF NOT EXISTS open_hazards (
    id          BIGINT NOT NULL,
    hazard_no   VARCHAR NOT NULL,
    type        VARCHAR NOT NULL,
    risk_level  VARCHAR NOT NULL,
    grid_code   VARCHAR NOT NULL,
    lon         DOUBLE NOT NULL,
    lat         DOUBLE NOT NULL,
    found_at    TIMESTAMP NOT NULL,
    open_until  TIMESTAMP NOT NULL   -- rectified_at; 'infinity' while open
);

CREATE TABLE IF NOT EXISTS open_alerts (
    id          BIGINT NOT NULL,
    sensor_code VARCHAR NOT NULL,    -- sensors.code
    sensor_type VARCHAR NOT NULL,    -- sensors.type
    level       VARCHAR NOT NULL,    -- 一般 | 严重
    grid_code   VARCHAR NOT NULL,
    lon         DOUBLE NOT NULL,     -- the sensor's place
    lat         DOUBLE NOT NULL,
    alerted_at  TIMESTAMP NOT NULL,
    open_until  TIMESTAMP NOT NULL   -- handled_at; 'infinity' while unhandled
);
