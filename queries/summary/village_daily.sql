-- summary/village_daily: refill village_daily (every KPI measure per village x day, stocks as running sums)
--
-- Purpose: the KPI engine's fast path (dashboard/kpi/engine.py) for village scopes and
--   level='village'. One row per village short code (12 digits) and day, built from the
--   grid-level daily summaries (run after them): flow columns are the day's sums under the
--   same event-day attribution; stock columns (overdue_open, backlog, hz_open,
--   hz_open_overdue, kp_listed, kp_<category>, al_unhandled) are the stock at the end of
--   the day, i.e. the running sum of in-minus-out from the beginning of history, so a stock
--   at a period end is one row lookup instead of a history scan. Every village also gets a
--   row on each month's first day after its first row, up to the first month start after
--   the last day of data, so the stock at any day is found among the rows from that day's
--   month start on (or, past the data, in the last row).
-- Also leaves the session TEMP table village_nets (the per-day in-minus-out values) for
--   queries/summary/level_daily.sql (town, county, city), which runs next;
--   dashboard/kpi/summaries.py drops it after the city level.
-- kp_<category> columns: one per registry category (dashboard/kpi/registry.py
--   KEY_PERSON_CATEGORIES); the engine refuses to run when one is missing.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in day order).
-- The body is shared with the incremental refresh: summary/village_nets.sql and
--   summary/level_rollup_insert.sql.
-- DuckDB-only: CREATE TEMP TABLE.
-- every grid code with a row in any grid-level table (not only the grids table's: a full
-- refresh keeps whatever the facts hold)
CREATE OR REPLACE TEMP TABLE grid_scope AS
SELECT DISTINCT grid_code
FROM (SELECT grid_code FROM incident_daily UNION ALL SELECT grid_code FROM survey_daily
      UNION ALL SELECT grid_code FROM escalation_daily UNION ALL SELECT grid_code FROM hazard_daily
      UNION ALL SELECT grid_code FROM key_person_daily UNION ALL SELECT grid_code FROM visit_daily
      UNION ALL SELECT grid_code FROM alert_daily);

CREATE OR REPLACE TEMP TABLE village_nets AS
-- @include summary/village_nets
;

DELETE FROM village_daily;

-- @include summary/level_rollup_insert level=village
;

DROP TABLE grid_scope;

SELECT count(*) AS row_count FROM village_daily;
