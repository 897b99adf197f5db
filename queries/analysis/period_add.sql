-- analysis/period_add: add an insert-only batch's new cases to the period tables
--
-- Purpose: after a batch that only inserted cases (dashboard/kpi/summaries.py
--   refresh_period_additive), the rows of timeliness_city and linkage_city are sums over
--   cases, and a new case changes no other case's contribution: the new cases' own day
--   rows (时效: analysis/timeliness_rows.sql over them; 四级联动: analysis/linkage_rows.sql
--   over their hand-offs and stays, the TEMP tables analysis_handoffs_new and
--   analysis_stays_new of analysis/new_cases.sql) and their month sums are added to the
--   stored rows of the same keys, and appended where a key is new. The new open cases are
--   appended to open_case_keys. analysis/period_fill.sql from the batch's first day would
--   instead rewrite every county's rows of that month (tens of thousands of rows a batch
--   at 10M incidents) and all of open_case_keys. The result equals a full refill, the
--   sums of hours up to the order of their additions (tested:
--   tests/unit/test_analysis_tables.py).
-- Parameters: $since  DATE, the new cases' earliest report day (every row of a case lies
--   on or after it; it bounds the stored rows read).
-- Columns: none.
CREATE OR REPLACE TEMP VIEW period_cases AS
SELECT i.* FROM incidents AS i
SEMI JOIN ingest_diff AS d ON d.case_no = i.case_no AND d.op = 'insert';

CREATE OR REPLACE TEMP TABLE period_add_times AS
WITH d AS (
    SELECT day, area AS county, facet, key, key2, bin, n, n_dl, ontime, hours_sum
    FROM (
        -- @include analysis/timeliness_rows cases=period_cases digits=6
    )
)
SELECT 'day' AS span, day, county, facet, key, key2, bin, n, n_dl, ontime, hours_sum
FROM d
UNION ALL
SELECT 'month', CAST(date_trunc('month', day) AS DATE), county, facet, key, key2, bin,
       sum(n), sum(n_dl), sum(ontime), sum(hours_sum)
FROM d
GROUP BY ALL;

INSERT INTO open_case_keys
SELECT id, reported_at, grid_code, category_code, source, status, tier, registered_at,
       deadline_at
FROM period_cases
WHERE NOT is_void AND registered_at IS NOT NULL AND closed_at IS NULL
ORDER BY grid_code, id;

DROP VIEW period_cases;

UPDATE timeliness_city AS t
SET n = t.n + a.n, n_dl = t.n_dl + a.n_dl, ontime = t.ontime + a.ontime,
    hours_sum = t.hours_sum + a.hours_sum
FROM period_add_times AS a
WHERE t.day >= CAST(date_trunc('month', $since) AS DATE)
  AND t.span = a.span AND t.day = a.day AND t.county = a.county AND t.facet = a.facet
  AND t.key IS NOT DISTINCT FROM a.key AND t.key2 = a.key2
  AND t.bin IS NOT DISTINCT FROM a.bin;

INSERT INTO timeliness_city
SELECT a.* FROM period_add_times AS a
ANTI JOIN (
    SELECT * FROM timeliness_city WHERE day >= CAST(date_trunc('month', $since) AS DATE)
) AS t
    ON t.span = a.span AND t.day = a.day AND t.county = a.county AND t.facet = a.facet
   AND t.key IS NOT DISTINCT FROM a.key AND t.key2 = a.key2
   AND t.bin IS NOT DISTINCT FROM a.bin
ORDER BY a.span, a.day, a.county, a.facet, a.key, a.key2, a.bin;

CREATE OR REPLACE TEMP TABLE period_add_links AS
WITH d AS (
    -- @include analysis/linkage_rows handoffs=analysis_handoffs_new stays=analysis_stays_new
)
SELECT 'day' AS span, day, county, facet, key, key2, bin, n, hours_sum
FROM d
UNION ALL
SELECT 'month', CAST(date_trunc('month', day) AS DATE), county, facet, key, key2, bin,
       sum(n), sum(hours_sum)
FROM d
GROUP BY ALL;

UPDATE linkage_city AS t
SET n = t.n + a.n, hours_sum = t.hours_sum + a.hours_sum
FROM period_add_links AS a
WHERE t.day >= CAST(date_trunc('month', $since) AS DATE)
  AND t.span = a.span AND t.day = a.day AND t.county = a.county AND t.facet = a.facet
  AND t.key IS NOT DISTINCT FROM a.key AND t.key2 IS NOT DISTINCT FROM a.key2
  AND t.bin IS NOT DISTINCT FROM a.bin;

INSERT INTO linkage_city
SELECT a.* FROM period_add_links AS a
ANTI JOIN (
    SELECT * FROM linkage_city WHERE day >= CAST(date_trunc('month', $since) AS DATE)
) AS t
    ON t.span = a.span AND t.day = a.day AND t.county = a.county AND t.facet = a.facet
   AND t.key IS NOT DISTINCT FROM a.key AND t.key2 IS NOT DISTINCT FROM a.key2
   AND t.bin IS NOT DISTINCT FROM a.bin
ORDER BY a.span, a.day, a.county, a.facet, a.key, a.key2, a.bin;
