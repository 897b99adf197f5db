-- summary/level_daily: refill town_daily, county_daily or city_daily (village_daily's measures rolled up)
--
-- Purpose: the KPI engine's fast path for town, county and city scopes and sub-regions
--   (dashboard/kpi/engine.py): one row per region short code of the level (9, 6 or 4
--   digits: the slots below, filled by dashboard/kpi/summaries.py from
--   dashboard/kpi/scope.py LEVEL_LENGTHS) and day, columns as village_daily (flows summed
--   per day; stocks at the day's end as running sums; a row on every month start after the
--   region's first row). One table per level keeps a scope + period query down to the rows
--   of that level. Run after summary_village_daily, whose TEMP table village_nets it reads
--   (dashboard/kpi/summaries.py drops it after the last level).
-- @slot level: town county city
-- @slot digits: 9 6 4
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in day order).
-- the level's in-minus-out values per region and day, read by the shared insert
CREATE OR REPLACE TEMP TABLE {{level}}_nets AS
SELECT substr(region, 1, {{digits}}) AS region, day,
-- @include measures form=sum
FROM village_nets
GROUP BY substr(region, 1, {{digits}}), day;

DELETE FROM {{level}}_daily;

-- @include summary/level_rollup_insert
;

DROP TABLE {{level}}_nets;

SELECT count(*) AS row_count FROM {{level}}_daily;
