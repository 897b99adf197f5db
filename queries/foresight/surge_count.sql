-- foresight/surge_count: 预警数 (registry `surge_alerts`): the stored surge alerts of the
-- region $prefix (an alert of a town counts in its town, county and city, not in its
-- villages), with the moment and the model of the run that found them.
SELECT count(*) AS alerts,
       max(asof_at) AS asof_at,
       max(model_version) AS model_version
FROM foresight_scores
WHERE kind = 'surge' AND starts_with(grid_code, $prefix)
