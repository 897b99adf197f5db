-- ingest/additive_village: the village deltas of the cases a load inserted
--
-- Purpose: the additive refresh's input to the region levels: per village and day, the new
--   cases' incident measures (flows, and stock changes as in-minus-out: the same branch
--   as summary/village_nets.sql: its generated incident arm), and the (village, day) rows the
--   villages must have after the load: those days, and the month starts after them (a
--   village whose first day moved earlier gains month-start rows; those it has are kept).
--   queries/ingest/apply_level_daily.sql then applies them to village_daily and to every
--   level above, exactly as the key-wise refresh applies its recomputed villages' deltas.
-- Parameters: none. Reads TEMP ingest_incident_delta.
-- Columns: none (creates TEMP ingest_village_delta and ingest_village_keys).
CREATE OR REPLACE TEMP TABLE grid_scope AS
SELECT DISTINCT grid_code FROM ingest_incident_delta;

CREATE OR REPLACE TEMP TABLE ingest_village_delta AS
WITH nets AS (
-- @include measure_arms family=incident incident=ingest_incident_delta
)
SELECT region, day,
-- @include measures form=sum
FROM nets
GROUP BY region, day;

CREATE OR REPLACE TEMP TABLE ingest_village_keys AS
WITH
-- @include summary/month_starts
,
firsts AS (
    SELECT region, min(day) AS first_day FROM ingest_village_delta GROUP BY region
)
SELECT region, day, true AS present FROM ingest_village_delta
UNION ALL
SELECT f.region, m.day, true FROM firsts AS f JOIN month_starts AS m ON m.day > f.first_day;

DROP TABLE grid_scope;
