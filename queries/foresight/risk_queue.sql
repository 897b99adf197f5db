-- foresight/risk_queue: the stored at-risk queue of the region $prefix (the user's scope,
-- narrowed), most likely to miss first, at most $limit rows; never recomputed here.
SELECT s.case_id, s.case_no, s.grid_code, s.category_code, c.minor_name, s.dept_code,
       d.name AS dept_name, s.stage, s.deadline_at, s.asof_at, s.probability,
       s.remaining_hours, s.queue, s.reasons, s.model_version, s.reason_parts
FROM foresight_scores s
LEFT JOIN categories c ON c.code = s.category_code
LEFT JOIN departments d ON d.code = s.dept_code
WHERE s.kind = 'risk'
  AND starts_with(s.grid_code, $prefix)
  AND s.probability >= $min_probability
ORDER BY s.probability DESC, s.deadline_at, s.case_id
LIMIT $limit
