-- overview/tables_schema: the overview's open-hazard, open-sensor-alert and case-duration
-- tables (migration 010; docs/overview.md, Speed: purpose-built tables)
--
-- Purpose: like open_cases for the cases (queries/summary/schema.sql), these hold every
--   hazard and sensor alert that is open at some moment at or after case_window.since, so
--   the alerts panel (queries/overview/alerts.sql) and the critical alert
--   (overview/critical.sql) of a screen at such a moment never read the raw hazards
--   (600k rows at 10M) or sensor_alerts (1.6M). case_durations holds the handling and
--   closing time of every closed case under its closing day, in (closed_day, grid_code)
--   order: the exact medians and P90s of the engine (queries/kpi/incident_quantiles.sql)
--   read the period's row groups of four narrow columns instead of raw incidents, which
--   are in report order. Derived data, created if missing and refilled by
--   dashboard/kpi/summaries.py refresh_overview_tables with the case tables.
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

CREATE TABLE IF NOT EXISTS case_durations (
    grid_code    VARCHAR NOT NULL,
    closed_day   DATE NOT NULL,       -- CAST(closed_at AS DATE)
    handle_hours DOUBLE,              -- 立案 → 处置 (handled_at - registered_at); NULL
                                      -- without both times
    close_hours  DOUBLE NOT NULL      -- 上报 → 结案 (closed_at - reported_at)
);
