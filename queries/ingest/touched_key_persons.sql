-- ingest/touched_key_persons: the (grid, day) keys of key_person_daily rows a batch changes
--
-- Purpose: as ingest_touched_incidents, for key persons (registered and removed days).
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none (inserts grid_code, day, kind, updated).
INSERT INTO ingest_touched
SELECT DISTINCT grid_code, CAST(d AS DATE) AS day, 'key_persons' AS kind, updated
FROM (
    SELECT k.grid_code, x.op = 'update' AS updated, unnest([k.registered_at, k.removed_at]) AS d
    FROM key_persons AS k
    JOIN key_person_pii AS p ON p.person_id = k.id
    JOIN ingest_diff AS x ON x.id_number = p.id_number AND x.op <> 'same'
)
WHERE d IS NOT NULL;
