-- analysis/ranks_add: add the new cases of an insert-only batch to duration_ranks and
-- duration_bins
--
-- Purpose: after an import or intake batch that only inserted cases
--   (dashboard/kpi/summaries.py refresh_analysis_additive), the new cases' durations
--   (the block analysis/ranks_rows.sql over the TEMP view analysis_cases) are appended to
--   duration_ranks and counted into duration_bins: a stored (measure, month, county, bin)
--   grows by its new rows, a new one is appended. A new case changes no other case's
--   durations, so no stored row is rewritten (analysis/ranks_fill.sql would rewrite every
--   row of the touched counties' months: about 100k rows a batch at 10M incidents). The
--   result equals a full refill as a multiset (tested: tests/unit/test_analysis_tables.py);
--   the appended rows are in the order of analysis/ranks_order.sql, as a bounded refill's.
-- Parameters: $counties  VARCHAR[], the new cases' counties; $since  DATE, the earliest
--   of their report, registration and closing days (both only narrow what is read).
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ranks_added AS
SELECT * FROM (
-- @include analysis/ranks_rows cases=analysis_cases
);

INSERT INTO duration_ranks
SELECT * FROM ranks_added
-- @include analysis/ranks_order
;

CREATE OR REPLACE TEMP TABLE ranks_added_bins AS
SELECT measure, month, county, bin, count(*) AS n
FROM ranks_added
GROUP BY ALL;

UPDATE duration_bins AS b
SET n = b.n + a.n
FROM ranks_added_bins AS a
WHERE b.measure = a.measure AND b.month = a.month AND b.county = a.county AND b.bin = a.bin;

INSERT INTO duration_bins
SELECT a.measure, a.month, a.county, a.bin, a.n
FROM ranks_added_bins AS a
ANTI JOIN duration_bins AS b
    ON b.measure = a.measure AND b.month = a.month AND b.county = a.county AND b.bin = a.bin
ORDER BY a.measure, a.month, a.county, a.bin;
