-- ingest/refresh_village_daily: recompute village_daily for the villages a load touched
--
-- Purpose: the incremental form of queries/summary/village_daily.sql (the same body,
--   summary/village_nets.sql and summary/level_rollup_insert.sql, included):
--   every row of the villages in TEMP ingest_villages is deleted and recomputed from the
--   grid-level daily tables of those villages (their grid codes: TEMP grid_scope below).
--   Stocks are running sums, so a change on one day changes every later row of the
--   village: the whole village is recomputed. The
--   month-start rows span the store's whole history (the first and last day of the
--   grid-level tables), exactly as the full refresh spans it; when a
--   load moves that span, dashboard/kpi/summaries.py refreshes these tables in full.
--   Leaves TEMP ingest_old_village (the villages' rows before) for
--   queries/ingest/village_delta.sql.
-- Parameters: none.
-- Columns: none.
-- DuckDB-only: generate_series over dates (Spark: sequence()), CREATE TEMP TABLE.
-- the grid codes the touched villages' rows can be stored under: their grids, the codes of
-- the regions padded to 15 digits (a case placed by its region, ingest/placed_grid.sql)
-- and '' (no grid under the point), the only codes a load writes (validate.py refuses an
-- unknown grid code), plus the batch's own. Read as `grid_code IN (…)`, a filter on the
-- column that DuckDB pushes into the scans (incident_daily is stored by grid: a few row
-- groups are read), where `substr(grid_code, 1, 12) IN (…)` read every row of the seven
-- grid-level tables (about 540 → 160 ms for 10 villages at 10M).
CREATE OR REPLACE TEMP TABLE grid_scope AS
SELECT DISTINCT grid_code FROM (
    SELECT code AS grid_code FROM grids
    UNION ALL
    SELECT rpad(short_code, 15, '0') FROM regions
    UNION ALL
    SELECT ''
    UNION ALL
    SELECT grid_code FROM ingest_touched
) AS known
WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages);

CREATE OR REPLACE TEMP TABLE village_nets AS
-- @include summary/village_nets
;

CREATE OR REPLACE TEMP TABLE ingest_old_village AS
SELECT * FROM village_daily WHERE region IN (SELECT region FROM ingest_villages);

DELETE FROM village_daily WHERE region IN (SELECT region FROM ingest_villages);

-- @include summary/level_rollup_insert level=village
;

DROP TABLE village_nets;

DROP TABLE grid_scope;
