-- analysis/fill: add the rows of a set of cases to the analysis read tables
--
-- Purpose: the one definition of handoff_daily, closure_stays and survey_case_daily
--   (queries/analysis/schema.sql), as the raw queries of the 四级联动 and 满意度 pages
--   counted them before: a hand-off counts on its day under its case's keys; a closed,
--   registered, not voided case has a stay at 村/社区 from 立案 and one at each tier an
--   escalation (上报上级) took it to, each ending at the next arrival (ordered by time, then
--   seq) or at 结案; a survey counts under its case's keys with the case's 处置 − 立案 hours.
--   The caller empties the rows of those cases first (full refill: every case; an import
--   batch: the cases of its touched grids, or only the new cases).
--   An insert-only batch's hand-offs and stays go to TEMP tables first
--   ({{handoffs}} = analysis_handoffs_new, {{stays}} = analysis_stays_new, with the columns
--   of handoff_daily and closure_stays), which the caller appends to the stored tables and
--   from which the period tables take the batch's own 四级联动 rows
--   (queries/analysis/period_add.sql); every other fill writes the stored tables.
-- @slot cases: incidents analysis_cases
-- @slot handoffs: handoff_daily analysis_handoffs_new
-- @slot stays: closure_stays analysis_stays_new
-- Parameters: none ({{cases}}: the cases whose rows are added).
-- Columns: none.
INSERT INTO {{handoffs}}
SELECT CAST(e.escalated_at AS DATE) AS day, i.grid_code, i.category_code, i.source, i.status,
       e.kind, e.from_tier, e.to_tier, e.from_dept, e.to_dept, count(*) AS n
FROM escalations AS e
JOIN {{cases}} AS i ON i.id = e.incident_id
GROUP BY ALL
ORDER BY day, grid_code;

INSERT INTO {{stays}}
WITH
-- the closed cases, read where they are used: a TEMP table of them stays in memory (at
-- 100M cases the build ran out of 12 GB here; at 10M this insert ran out of 1.2 GB with
-- the TEMP table and completes without it, the same rows, a little faster at 3 GB)
analysis_closed AS NOT MATERIALIZED (
    SELECT id, grid_code, category_code, source, status, tier, registered_at, closed_at
    FROM {{cases}}
    WHERE NOT is_void AND closed_at IS NOT NULL AND registered_at IS NOT NULL
),
up AS (
    SELECT e.incident_id, e.to_tier, e.escalated_at, e.seq
    FROM escalations AS e
    SEMI JOIN analysis_closed AS c ON c.id = e.incident_id
    WHERE e.kind = '上报上级'
),
arrivals AS (
    -- only cases escalated need the window; the others stay at 村/社区 until 结案
    SELECT id, 'village' AS tier, registered_at AS arrived, 0 AS seq FROM analysis_closed
    SEMI JOIN up ON up.incident_id = analysis_closed.id
    UNION ALL
    SELECT incident_id, to_tier, escalated_at, seq FROM up
),
stays AS (
    SELECT a.id, a.tier, a.seq,
           (epoch(coalesce(lead(a.arrived) OVER (PARTITION BY a.id ORDER BY a.arrived, a.seq),
                           c.closed_at)) - epoch(a.arrived)) / 3600.0 AS hours
    FROM arrivals AS a
    JOIN analysis_closed AS c ON c.id = a.id
    UNION ALL
    SELECT id, 'village', 0, (epoch(closed_at) - epoch(registered_at)) / 3600.0
    FROM analysis_closed
    ANTI JOIN up ON up.incident_id = analysis_closed.id
)
SELECT CAST(c.closed_at AS DATE) AS day, c.grid_code, c.category_code, c.source, c.status,
       c.tier AS final_tier, s.tier, s.seq = 0 AS first, s.hours
FROM stays AS s
JOIN analysis_closed AS c ON c.id = s.id
ORDER BY day, c.grid_code;

INSERT INTO survey_case_daily
WITH s AS (
    SELECT CAST(s.surveyed_at AS DATE) AS day, i.grid_code, i.category_code, i.source,
           i.status, i.dept_code, s.rating,
           (epoch(i.handled_at) - epoch(i.registered_at)) / 3600.0 AS hours
    FROM surveys AS s
    JOIN {{cases}} AS i ON i.id = s.incident_id
)
SELECT day, grid_code, category_code, source, status, dept_code, rating,
       CASE WHEN hours IS NULL THEN '未处置'
            WHEN hours < 4 THEN '1. 4小时内' WHEN hours < 24 THEN '2. 4–24小时'
            WHEN hours < 72 THEN '3. 1–3天' WHEN hours < 168 THEN '4. 3–7天'
            ELSE '5. 7天以上' END AS band,
       count(*) AS surveys, coalesce(sum(hours), 0) AS hours_sum, count(hours) AS hours_n
FROM s
GROUP BY ALL
ORDER BY day, grid_code;
