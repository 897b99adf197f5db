-- persons/counts_stamp: a version of the key persons of a jurisdiction
--
-- Purpose: the cache key of dashboard.privacy.protected_counts: changes whenever a key
--   person of the jurisdiction is added, moved, re-categorised, registered or removed.
-- Parameters: $prefix  the jurisdiction's short code (validated by Scope)
-- Columns: n (BIGINT), h (HUGEINT): row count and order-independent hash.
-- DuckDB-only: starts_with, hash.
SELECT count(*) AS n,
       coalesce(sum(CAST(hash(id, grid_code, category, registered_at, removed_at) AS HUGEINT)),
                0) AS h
FROM key_persons
WHERE starts_with(grid_code, $prefix)
