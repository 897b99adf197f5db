-- analysis/ranks_rows: the rows of duration_ranks of some counties from a month on (a
-- block, not a query)
--
-- Purpose: included twice by analysis/ranks_fill.sql, for duration_ranks and for the
--   bin counts of duration_bins (computing the counts again from incidents reads a
--   month's rows, where counting the stored rows would scan every row of duration_ranks:
--   it is in bin order). See that file for the rows and the parameters.
--   Also included by analysis/ranks_add.sql over the new cases of an insert-only batch.
-- @slot cases: incidents analysis_cases
-- Parameters: $counties, $since (as analysis/ranks_fill.sql; {{cases}}: the cases read).
WITH closed AS (
-- @include summary/durations_of_cases
    FROM {{cases}}
    WHERE NOT is_void AND closed_at IS NOT NULL
      AND closed_at >= CAST(date_trunc('month', $since) AS TIMESTAMP)
      AND ($counties IS NULL OR list_contains($counties, left(grid_code, 6)))
), x AS (
    SELECT 'response' AS measure, left(grid_code, 6) AS county,
           CAST(date_trunc('month', registered_at) AS DATE) AS month,
           (epoch(registered_at) - epoch(reported_at)) / 3600.0 AS hours
    FROM {{cases}}
    WHERE NOT is_void AND registered_at >= CAST(date_trunc('month', $since) AS TIMESTAMP)
      AND ($counties IS NULL OR list_contains($counties, left(grid_code, 6)))
    UNION ALL
    SELECT 'handle', left(grid_code, 6), CAST(date_trunc('month', closed_day) AS DATE),
           handle_hours
    FROM closed
    WHERE handle_hours IS NOT NULL
    UNION ALL
    SELECT 'close', left(grid_code, 6), CAST(date_trunc('month', closed_day) AS DATE),
           close_hours
    FROM closed
)
SELECT measure,
-- @include summary/duration_bin
       AS bin, county, month, hours
FROM x
