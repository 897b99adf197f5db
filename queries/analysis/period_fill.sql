-- analysis/period_fill: refill the period tables from a day on (migration 011)
--
-- Purpose: timeliness_city and linkage_city (queries/analysis/period_schema.sql; rows per
--   county) from
--   $since on: their day rows of days >= $since and month rows of months from $since's
--   month are deleted and computed again — 时效 rows from the cases reported since then
--   (analysis/timeliness_rows.sql), 四级联动 rows from handoff_daily and closure_stays
--   (kept current before this runs) — then the month rows from the day rows. Every row
--   of a case lies on or after its report day (hand-offs, closings, stays), so after an
--   import batch $since = the earliest day the batch touched (old and new versions)
--   recomputes every row it changed; a full refill passes the earliest possible day.
--   open_case_keys is refilled whole (the open cases: a few per thousand).
-- Parameters: $since  DATE, the first day to recompute.
-- Columns: none.
DELETE FROM timeliness_city
WHERE (span = 'day' AND day >= $since)
   OR (span = 'month' AND day >= CAST(date_trunc('month', $since) AS DATE));

DELETE FROM linkage_city
WHERE (span = 'day' AND day >= $since)
   OR (span = 'month' AND day >= CAST(date_trunc('month', $since) AS DATE));

CREATE OR REPLACE TEMP TABLE period_since AS SELECT CAST($since AS DATE) AS since;

CREATE OR REPLACE TEMP VIEW period_cases AS
SELECT * FROM incidents WHERE reported_at >= (SELECT since FROM period_since);

INSERT INTO timeliness_city
SELECT 'day', day, area, facet, key, key2, bin, n, n_dl, ontime, hours_sum
FROM (
    -- @include analysis/timeliness_rows cases=period_cases digits=6
)
ORDER BY day, area, facet, key, key2, bin;

DROP VIEW period_cases;

DROP TABLE period_since;

INSERT INTO linkage_city
WITH r AS (
    -- @include analysis/linkage_rows handoffs=handoff_daily stays=closure_stays
)
SELECT 'day', day, county, facet, key, key2, bin, n, hours_sum FROM r
ORDER BY day, county, facet, key, key2, bin;

INSERT INTO timeliness_city
SELECT 'month', CAST(date_trunc('month', day) AS DATE), county, facet, key, key2, bin,
       sum(n), sum(n_dl), sum(ontime), sum(hours_sum)
FROM timeliness_city
WHERE span = 'day' AND day >= CAST(date_trunc('month', $since) AS DATE)
GROUP BY ALL
ORDER BY 2, county, facet, key, key2, bin;

INSERT INTO linkage_city
SELECT 'month', CAST(date_trunc('month', day) AS DATE), county, facet, key, key2, bin,
       sum(n), sum(hours_sum)
FROM linkage_city
WHERE span = 'day' AND day >= CAST(date_trunc('month', $since) AS DATE)
GROUP BY ALL
ORDER BY 2, county, facet, key, key2, bin;

DELETE FROM open_case_keys;

INSERT INTO open_case_keys
SELECT id, reported_at, grid_code, category_code, source, status, tier, registered_at,
       deadline_at
FROM incidents
WHERE NOT is_void AND registered_at IS NOT NULL AND closed_at IS NULL
ORDER BY grid_code, id;
