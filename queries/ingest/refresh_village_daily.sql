-- ingest/refresh_village_daily: recompute village_daily for the villages a load touched
--
-- Purpose: the incremental form of queries/summary/village_daily.sql (the same body,
--   summary/village_nets.sql and summary/level_rollup_insert.sql, included):
--   every row of the villages in TEMP ingest_villages is deleted and recomputed from the
--   grid-level daily tables of those villages. Stocks are running sums, so a change on one
--   day changes every later row of the village: the whole village is recomputed. The
--   month-start rows span the store's whole history (the first and last day of the
--   grid-level tables), exactly as the full refresh spans it; when a
--   load moves that span, dashboard/kpi/summaries.py refreshes these tables in full.
--   Leaves TEMP ingest_old_village (the villages' rows before) for
--   queries/ingest/village_delta.sql.
-- Parameters: none.
-- Columns: none.
-- DuckDB-only: generate_series over dates (Spark: sequence()), CREATE TEMP TABLE.
CREATE OR REPLACE TEMP TABLE village_scope AS
SELECT region FROM ingest_villages;

CREATE OR REPLACE TEMP TABLE village_nets AS
-- @include summary/village_nets
;

CREATE OR REPLACE TEMP TABLE ingest_old_village AS
SELECT * FROM village_daily WHERE region IN (SELECT region FROM ingest_villages);

DELETE FROM village_daily WHERE region IN (SELECT region FROM ingest_villages);

-- @include summary/level_rollup_insert level=village
;

DROP TABLE village_nets;

DROP TABLE village_scope;
