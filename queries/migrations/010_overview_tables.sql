-- 010_overview_tables: the overview's open-hazard, open-sensor-alert and case-duration
-- tables (open_hazards, open_alerts, case_durations; queries/overview_tables_schema.sql,
-- docs/overview.md). Derived data built here from the raw tables and the case window,
-- without rebuilding the other summaries (an hour at 10M; this takes seconds); later
-- refreshes refill them (dashboard/kpi/summaries.py refresh_overview_tables). The
-- statements are a frozen copy of overview_tables_schema.sql, summary_open_hazards.sql,
-- summary_open_alerts.sql and summary_case_durations.sql as of this version.
CREATE TABLE IF NOT EXISTS open_hazards (
    id          BIGINT NOT NULL,
    hazard_no   VARCHAR NOT NULL,
    type        VARCHAR NOT NULL,
    risk_level  VARCHAR NOT NULL,
    grid_code   VARCHAR NOT NULL,
    lon         DOUBLE NOT NULL,
    lat         DOUBLE NOT NULL,
    found_at    TIMESTAMP NOT NULL,
    open_until  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS open_alerts (
    id          BIGINT NOT NULL,
    sensor_code VARCHAR NOT NULL,
    sensor_type VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,
    grid_code   VARCHAR NOT NULL,
    lon         DOUBLE NOT NULL,
    lat         DOUBLE NOT NULL,
    alerted_at  TIMESTAMP NOT NULL,
    open_until  TIMESTAMP NOT NULL
);

DELETE FROM open_hazards;

INSERT INTO open_hazards (id, hazard_no, type, risk_level, grid_code, lon, lat, found_at,
                          open_until)
SELECT h.id, h.hazard_no, h.type, h.risk_level, h.grid_code, h.lon, h.lat, h.found_at,
       coalesce(h.rectified_at, 'infinity'::TIMESTAMP)
FROM hazards AS h, case_window AS w
WHERE h.rectified_at IS NULL OR h.rectified_at > w.since
ORDER BY h.rectified_at IS NOT NULL, h.grid_code, h.id;

DELETE FROM open_alerts;

INSERT INTO open_alerts (id, sensor_code, sensor_type, level, grid_code, lon, lat,
                         alerted_at, open_until)
SELECT a.id, s.code, s.type, a.level, a.grid_code, s.lon, s.lat, a.alerted_at,
       coalesce(a.handled_at, 'infinity'::TIMESTAMP)
FROM sensor_alerts AS a
JOIN sensors AS s ON s.id = a.sensor_id
CROSS JOIN case_window AS w
WHERE a.handled_at IS NULL OR a.handled_at > w.since
ORDER BY a.handled_at IS NOT NULL, a.grid_code, a.id;

CREATE TABLE IF NOT EXISTS case_durations (
    grid_code    VARCHAR NOT NULL,
    closed_day   DATE NOT NULL,
    handle_hours DOUBLE,
    close_hours  DOUBLE NOT NULL
);

DELETE FROM case_durations;

INSERT INTO case_durations (grid_code, closed_day, handle_hours, close_hours)
SELECT grid_code, CAST(closed_at AS DATE) AS closed_day,
       CASE WHEN handled_at IS NOT NULL AND registered_at IS NOT NULL
            THEN (epoch(handled_at) - epoch(registered_at)) / 3600.0 END AS handle_hours,
       (epoch(closed_at) - epoch(reported_at)) / 3600.0 AS close_hours
FROM incidents
WHERE NOT is_void AND closed_at IS NOT NULL
ORDER BY closed_day, grid_code;
