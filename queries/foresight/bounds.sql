-- foresight/bounds: the first and last registration time of cases with a deadline.
SELECT min(registered_at) AS first, max(registered_at) AS last
FROM incidents
WHERE NOT is_void AND deadline_at IS NOT NULL AND registered_at IS NOT NULL
