-- summary/level_rollup_insert: add the rows of TEMP <level>_nets to a region rollup
--
-- Purpose: the insert step of every region level, shared by summary/village_daily.sql and
--   ingest/refresh_village_daily.sql (`-- @include level_rollup_insert level=village`) and
--   summary/level_daily.sql (town, county, city). Reads TEMP {{level}}_nets, the level's
--   in-minus-out values, one row per region and day (village_nets: summary/village_nets.sql;
--   town/county/city_nets: its GROUP BY in summary/level_daily.sql); flows as they are,
--   stocks as running sums per region in day order. The column lists are generated
--   from dashboard/kpi/registry.py ROLLUP_MEASURES (dashboard/kpi/rollup_sql.py).
-- How the running sums are taken (the refresh's costliest step, docs/demo-data.md "Build
--   speed"): DuckDB's window operator costs about the same per aggregate and row whatever
--   the partitioning, so the 16 stock running sums are taken only over the rows where some
--   stock changed (`moved`: a fifth of the village rows, most rows carrying only visits
--   or flows), summed as DOUBLE (exact for counts below 2**53, cast back to the column
--   type; DuckDB's window sums DOUBLE about twice as fast as the HUGEINT of sum(BIGINT));
--   every row then takes the running sums of the last such row on or before its day
--   (`moved_on`, one window aggregate over all rows, narrow: a window carrying the 46
--   columns costs ten times one carrying none), or zero before the region's first.
--   Plain windows and joins: the same text runs on Spark SQL (sqlglot); no subquery
--   order is relied on. tests/unit/test_rollup_sql.py checks the result equals the
--   plain running sum (EXCEPT ALL both ways).
-- @slot level: village town county city
-- Parameters: none.
-- Columns: none (an INSERT).
INSERT INTO {{level}}_daily (
    region, day,
-- @include measures
)
WITH marked AS (
    SELECT region, day,
           max(CASE WHEN
-- @include measures part=stocks form=moved sep=or
               THEN day END) OVER w AS moved_on
    FROM {{level}}_nets
    WINDOW w AS (PARTITION BY region ORDER BY day ROWS UNBOUNDED PRECEDING)
),
moved AS (
    SELECT region, day,
-- @include measures part=stocks form=running
    FROM {{level}}_nets
    WHERE
-- @include measures part=stocks form=moved sep=or
    WINDOW w AS (PARTITION BY region ORDER BY day ROWS UNBOUNDED PRECEDING)
)
SELECT p.region, p.day,
-- @include measures part=flows form=of_p
       ,
-- @include measures part=stocks form=carry_m
FROM {{level}}_nets AS p
JOIN marked AS k ON k.region = p.region AND k.day = p.day
LEFT JOIN moved AS m ON m.region = p.region AND m.day = k.moved_on
ORDER BY p.region, p.day
