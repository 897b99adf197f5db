-- theme/linkage: four-tier linkage (四级联动) of the filtered cases
--
-- Purpose: the 四级联动 page in one query:
--   flow      escalations (上报上级) made in the period, from tier → to tier (as the KPI
--             registry's 上报乡镇/区县/市级次数 count them);
--   transfer  transfers (转派) made in the period between departments, from → to;
--   final     the cases closed in the period by the tier that finally handled them;
--   pending   cases open now (registered, not closed, not voided) by the tier holding them;
--   dwell     hours each case closed in the period spent at each tier it passed through
--             (from arriving there — 立案, or the escalation to it — to leaving it by the
--             next escalation or 结案), as rows per histogram bin (bin = floor(100 ·
--             log10(max(hours, 0.001))), as queries/analysis/period_fill.sql bins them):
--             dashboard/thematic_data.py takes the mean from hours_sum and the median
--             from the bins, as for theme/linkage_city.sql.
--   The cases are those the other filters select (category, source, status, grids),
--   reported before the period end. flow, transfer, final and dwell read only the period's
--   days of the read tables handoff_daily and closure_stays (queries/analysis/fill.sql
--   defines their rows; a hand-off or a closing is never before its case's report, so
--   "reported before the period end" holds for all of them); pending reads open_case_keys
--   (every case open now with its keys; queries/theme/linkage_pending.sql).
-- Parameters: $prefix, $majors, $minors, $sources, $statuses, $grids as in
--   cases/filtered.sql; $p_start, $p_end  the period (TIMESTAMP at midnight, end
--   exclusive); $now current time
-- Columns: facet, key (tier, or department for transfers), key2 (to tier or department,
--   '' otherwise), bin (dwell only), n (BIGINT: escalations, transfers, cases or stays),
--   hours_sum (dwell only).
-- DuckDB-only: starts_with, list_contains.
WITH h AS (
    SELECT x.kind, x.from_tier, x.to_tier, x.from_dept, x.to_dept, x.n
    FROM handoff_daily AS x
    WHERE x.day >= CAST($p_start AS DATE) AND x.day < CAST($p_end AS DATE) AND
      -- @include theme/case_keys
),
s AS (
    SELECT x.final_tier, x.tier, x.first, x.hours
    FROM closure_stays AS x
    WHERE x.day >= CAST($p_start AS DATE) AND x.day < CAST($p_end AS DATE) AND
      -- @include theme/case_keys
),
o AS (
    -- @include theme/linkage_pending
)
SELECT 'flow' AS facet, from_tier AS key, to_tier AS key2, NULL::SMALLINT AS bin,
       CAST(sum(n) AS BIGINT) AS n, NULL::DOUBLE AS hours_sum
FROM h
WHERE kind = '上报上级'
GROUP BY 2, 3
UNION ALL
SELECT 'transfer', coalesce(fd.name, '（未指定）'), coalesce(td.name, '（未指定）'), NULL,
       CAST(sum(h.n) AS BIGINT), NULL
FROM h
LEFT JOIN departments AS fd ON fd.code = h.from_dept
LEFT JOIN departments AS td ON td.code = h.to_dept
WHERE h.kind = '转派'
GROUP BY 2, 3
UNION ALL
SELECT 'final', final_tier, '', NULL, count(*), NULL FROM s WHERE first GROUP BY 2
UNION ALL
SELECT 'pending', key, '', NULL, n, NULL FROM o
UNION ALL
SELECT 'dwell', tier, '', CAST(floor(100 * log10(greatest(hours, 0.001))) AS SMALLINT),
       count(*), sum(hours)
FROM s GROUP BY 2, 4
ORDER BY facet, key, key2, bin
