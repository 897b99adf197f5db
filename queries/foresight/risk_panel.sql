-- foresight/risk_panel: what a 即将超期风险 panel shows, in one statement
-- (dashboard/foresight/run.py risk_panel; the overview's risk pane and the 时效 page): the
-- counts of foresight/risk_count and the first $limit rows of the stored queue of the
-- region $prefix in foresight/risk_queue's order, without a probability floor. The caller
-- takes the queue at the threshold from those rows (the queue is ordered by probability,
-- so the rows at or above a threshold are its first ones) and, when none reaches it, the
-- nearest below it. Never recomputed here.
-- Parameters: $prefix (the user's scope, narrowed), $threshold, $limit.
-- Columns: at_risk, scored, run_asof_at, run_model_version (the scoring run's moment and
--   model: the store's, as in foresight/risk_count), then foresight/risk_queue's columns
--   and rn; one row with NULL queue columns when the region has no stored score.
WITH counts AS (
    SELECT count(*) FILTER (WHERE starts_with(grid_code, $prefix)
                              AND probability >= $threshold) AS at_risk,
           count(*) FILTER (WHERE starts_with(grid_code, $prefix)) AS scored,
           max(asof_at) AS run_asof_at,
           max(model_version) AS run_model_version
    FROM foresight_scores
    WHERE kind = 'risk'
),
queue AS (
    SELECT s.case_id, s.case_no, s.grid_code, s.category_code, c.minor_name, s.dept_code,
           d.name AS dept_name, s.stage, s.deadline_at, s.asof_at, s.probability,
           s.remaining_hours, s.queue, s.reasons, s.model_version, s.reason_parts,
           row_number() OVER (ORDER BY s.probability DESC, s.deadline_at, s.case_id) AS rn
    FROM foresight_scores s
    LEFT JOIN categories c ON c.code = s.category_code
    LEFT JOIN departments d ON d.code = s.dept_code
    WHERE s.kind = 'risk'
      AND starts_with(s.grid_code, $prefix)
    QUALIFY rn <= $limit
)
SELECT counts.*, queue.*
FROM counts
LEFT JOIN queue ON TRUE
ORDER BY queue.rn
