-- foresight/risk_panel: the one read of the stored at-risk scores (dashboard/foresight/run.py
-- risk_panel, risk_queue, risk_count; the overview's risk pane, the 时效 page, the KPI
-- 风险案件数 (registry `risk_cases`)): the counts of the region $prefix and the first $limit
-- rows of its stored queue, most likely to miss first, without a probability floor. The
-- caller takes the queue at a threshold from those rows (the queue is ordered by
-- probability, so the rows at or above a threshold are its first ones) and, when none
-- reaches it, the nearest below it. Never recomputed here.
-- Parameters: $prefix (the user's scope, narrowed), $threshold, $limit (0: the counts).
-- Columns: at_risk (open cases of the region whose stored probability of missing the
--   deadline is at least $threshold), scored (scored there), run_asof_at,
--   run_model_version (the scoring run's moment and model: the store's, since every open
--   case is scored at once, so a region with no open case with a deadline reads 0 scored
--   at that moment, not "never scored"), then the queue's case_id, case_no, grid_code,
--   category_code, minor_name, dept_code, dept_name, stage, deadline_at, asof_at,
--   probability, remaining_hours, queue, reasons, model_version, reason_parts, and rn;
--   one row with NULL queue columns when there are no queue rows. The queue's first rows
--   are taken by ORDER BY … LIMIT (a top-N, not a sort of the region's every score: at 100M
--   a window over the city's scores took about 200 ms) and named after.
WITH counts AS (
    SELECT count(*) FILTER (WHERE starts_with(grid_code, $prefix)
                              AND probability >= $threshold) AS at_risk,
           count(*) FILTER (WHERE starts_with(grid_code, $prefix)) AS scored,
           max(asof_at) AS run_asof_at,
           max(model_version) AS run_model_version
    FROM foresight_scores
    WHERE kind = 'risk'
),
top AS (
    SELECT *
    FROM foresight_scores
    WHERE kind = 'risk'
      AND starts_with(grid_code, $prefix)
    ORDER BY probability DESC, deadline_at, case_id
    LIMIT $limit
),
queue AS (
    SELECT s.case_id, s.case_no, s.grid_code, s.category_code, c.minor_name, s.dept_code,
           d.name AS dept_name, s.stage, s.deadline_at, s.asof_at, s.probability,
           s.remaining_hours, s.queue, s.reasons, s.model_version, s.reason_parts,
           row_number() OVER (ORDER BY s.probability DESC, s.deadline_at, s.case_id) AS rn
    FROM top AS s
    LEFT JOIN categories c ON c.code = s.category_code
    LEFT JOIN departments d ON d.code = s.dept_code
)
SELECT counts.*, queue.*
FROM counts
LEFT JOIN queue ON TRUE
ORDER BY queue.rn
