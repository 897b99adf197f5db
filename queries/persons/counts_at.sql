-- persons/counts_at: key persons listed at a moment, per grid and category
--
-- Purpose: the counts dashboard.privacy.protect suppresses for users without clearance
--   (aggregates only, no personal field is read).
-- Parameters: $prefix  the jurisdiction's short code (validated by Scope);
--   $end  TIMESTAMP, exclusive: listed = registered before it and not removed before it
--   (as persons_filtered)
-- Columns: grid_code, category, n (BIGINT).
-- DuckDB-only: starts_with.
SELECT grid_code, category, count(*) AS n
FROM key_persons
WHERE starts_with(grid_code, $prefix)
  AND registered_at < $end
  AND (removed_at IS NULL OR removed_at >= $end)
GROUP BY 1, 2
ORDER BY 1, 2
