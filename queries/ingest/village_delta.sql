-- ingest/village_delta: per village and day, new minus old flows and stock changes
--
-- Purpose: the change a load made to village_daily, as additive quantities: for flows the
--   difference of the day's values, for stocks the difference of the day's in-minus-out
--   (a stock row minus the village's previous row). Summed to a town, county or city these
--   are what that level's rows must change by (queries/ingest/apply_level_daily.sql).
--   Days on which nothing changed are left out (a village is recomputed whole, but a
--   batch changes it from its earliest touched day on).
--   Run after ingest_refresh_village_daily (reads its TEMP ingest_old_village).
-- Column lists generated from dashboard/kpi/registry.py ROLLUP_MEASURES (rollup_sql.py).
-- Parameters: none. Reads TEMP ingest_villages, ingest_old_village.
-- Columns: none (creates TEMP ingest_village_delta and ingest_village_keys).
CREATE OR REPLACE TEMP TABLE ingest_village_delta AS
WITH signed AS (
    SELECT region, day,
-- @include measures part=flows form=name
           ,
-- @include measures part=stocks form=change
    FROM village_daily
    WHERE region IN (SELECT region FROM ingest_villages)
    WINDOW w AS (PARTITION BY region ORDER BY day)
    UNION ALL
    SELECT region, day,
-- @include measures part=flows form=negate
           ,
-- @include measures part=stocks form=unchange
    FROM ingest_old_village
    WINDOW w AS (PARTITION BY region ORDER BY day)
)
SELECT region, day,
-- @include measures form=sum
FROM signed
GROUP BY region, day
-- only the days that changed: the levels above are adjusted from the first of them on
-- (queries/ingest/apply_level_daily.sql reads their regions' rows from that day)
HAVING
-- @include measures form=sum_moved sep=or
;

-- the (village, day) rows after the load, and those the load removed
CREATE OR REPLACE TEMP TABLE ingest_village_keys AS
SELECT region, day, true AS present FROM village_daily
WHERE region IN (SELECT region FROM ingest_villages)
UNION ALL
SELECT o.region, o.day, false FROM ingest_old_village AS o
ANTI JOIN village_daily AS v ON v.region = o.region AND v.day = o.day;
