-- foresight/risk_count: 风险案件数 (registry `risk_cases`): open cases of the region
-- $prefix whose stored probability of missing the deadline is at least $threshold; with
-- the number scored there, and the moment and the model of the scoring run. The run's
-- moment and model are the store's (every open case is scored at once), so a region with
-- no open case with a deadline reads 0 scored at that moment, not "never scored".
SELECT count(*) FILTER (WHERE starts_with(grid_code, $prefix)
                          AND probability >= $threshold) AS at_risk,
       count(*) FILTER (WHERE starts_with(grid_code, $prefix)) AS scored,
       max(asof_at) AS asof_at,
       max(model_version) AS model_version
FROM foresight_scores
WHERE kind = 'risk'
