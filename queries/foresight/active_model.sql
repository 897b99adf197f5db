-- foresight/active_model: the active model of a kind (at most one row).
SELECT model_version, fitted_at, train_from, train_to, n_rows, params
FROM foresight_models
WHERE kind = $kind AND active
ORDER BY fitted_at DESC
LIMIT 1
