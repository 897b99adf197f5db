-- summary/level_rollup_insert: add the rows of TEMP village_nets to a region rollup
--
-- Purpose: the insert step of every region level, shared by summary/village_daily.sql and
--   ingest/refresh_village_daily.sql (`-- @include level_rollup_insert level=village
--   digits=12`) and summary/level_daily.sql (town, county, city): flows summed per region
--   and day, stocks as running sums per region in day order. The column lists are generated
--   from dashboard/kpi/registry.py ROLLUP_MEASURES (dashboard/kpi/rollup_sql.py).
-- @slot level: village town county city
-- @slot digits: 12 9 6 4
-- Parameters: none.
-- Columns: none (an INSERT).
INSERT INTO {{level}}_daily (
    region, day,
-- @include measures
)
SELECT substr(region, 1, {{digits}}) AS region, day,
-- @include measures part=flows form=sum
       ,
-- @include measures part=stocks form=running
FROM village_nets
GROUP BY substr(region, 1, {{digits}}), day
WINDOW w AS (PARTITION BY substr(region, 1, {{digits}}) ORDER BY day ROWS UNBOUNDED PRECEDING)
ORDER BY day, region
