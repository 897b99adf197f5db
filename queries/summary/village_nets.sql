-- summary/village_nets: per village and day, every KPI measure as the day's in-minus-out values
--
-- Purpose: the one body of the village rollup, included (`-- @include village_nets`) by
--   summary/village_daily.sql (all villages) and ingest/refresh_village_daily.sql (the
--   villages a load touched), so the full and the incremental refresh cannot drift apart.
--   Rows come from the grid-level daily tables' rows of the grid codes in the session's TEMP
--   table grid_scope(grid_code), a filter on the column itself so that DuckDB prunes the
--   scans (the includer fills it: every code, or the touched villages'); flows under the
--   same event-day attribution, stock columns as the day's net change (running sums are
--   taken by summary/level_rollup_insert.sql). Every village also gets a zero row on each
--   month's first day after its first row, up to the first month start after the store's
--   last day of data (unless it has a row that day).
-- The arms and column lists are generated from dashboard/kpi/registry.py ROLLUP_MEASURES
--   (dashboard/kpi/rollup_sql.py): one arm per grid-level daily table, each measure its
--   family's expression or 0.
-- Parameters: none.
-- Columns: region (12-digit village short code), day, then the village_daily columns; one
--   row per region and day.
-- DuckDB-only: generate_series over dates (Spark: sequence()).
WITH nets AS (
-- @include measure_arms
),
per_day AS (
    SELECT region, day,
-- @include measures form=sum
    FROM nets
    GROUP BY region, day
),
-- @include summary/month_starts
,
firsts AS (
    SELECT region, min(day) AS first_day FROM per_day GROUP BY region
)
SELECT * FROM per_day
UNION ALL
SELECT f.region, m.day,
-- @include measures form=zero
FROM firsts AS f
JOIN month_starts AS m ON m.day > f.first_day
-- only where the village has no row that day: one row per (region, day), so the village
-- level's insert (summary/level_rollup_insert.sql) needs no GROUP BY of 1.8M groups
LEFT JOIN per_day AS d ON d.region = f.region AND d.day = m.day
WHERE d.region IS NULL
