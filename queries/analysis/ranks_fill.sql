-- analysis/ranks_fill: refill duration_ranks and duration_bins for some counties from a
-- month on (migration 018)
--
-- Purpose: the rows of duration_ranks and duration_bins (queries/analysis/ranks_schema.sql)
--   of the counties $counties (every county when NULL) from $since's month on are deleted
--   and computed again from incidents, with the expressions of kpi/incident_quantiles.sql
--   (response: registered_at - reported_at of the non-void registered cases) and of
--   summary/durations_of_cases.sql (handle and close of the non-void closed cases, as
--   case_durations holds them), each under the month of its registration or closing day.
--   After an import batch $since is the earliest day the batch touched through a case
--   (any lifecycle day of an old or new version) and $counties the touched grids'
--   counties: the result equals a full refill (tested). New rows are appended in (measure,
--   bin, month) order; a full refill re-sorts the whole table. The rows come from the
--   block analysis/ranks_rows.sql, for the bin counts too.
-- The order of the rows: the block analysis/ranks_order.sql (integer keys).
-- Parameters: $counties  VARCHAR[] of 6-digit county codes, or NULL for all;
--   $since  DATE, a day of the first month to recompute.
-- Columns: none.
DELETE FROM duration_ranks
WHERE ($counties IS NULL OR list_contains($counties, county))
  AND month >= CAST(date_trunc('month', $since) AS DATE);

DELETE FROM duration_bins
WHERE ($counties IS NULL OR list_contains($counties, county))
  AND month >= CAST(date_trunc('month', $since) AS DATE);

INSERT INTO duration_ranks
SELECT * FROM (
-- @include analysis/ranks_rows cases=incidents
)
-- @include analysis/ranks_order
;

INSERT INTO duration_bins
SELECT measure, month, county, bin, count(*)
FROM (
-- @include analysis/ranks_rows cases=incidents
)
GROUP BY ALL
ORDER BY measure, month, county, bin;
