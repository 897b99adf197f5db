-- foresight/strata: the remaining-time distributions of one model.
SELECT level, key, n, cdf
FROM foresight_strata
WHERE model_version = $version
ORDER BY level, key
