-- foresight/risk_count: 风险案件数 (registry `risk_cases`): open cases of the region
-- $prefix whose stored probability of missing the deadline is at least $threshold; with
-- the number scored, the moment and the model they were scored with.
SELECT count(*) FILTER (WHERE probability >= $threshold) AS at_risk,
       count(*) AS scored,
       max(asof_at) AS asof_at,
       max(model_version) AS model_version
FROM foresight_scores
WHERE kind = 'risk' AND starts_with(grid_code, $prefix)
