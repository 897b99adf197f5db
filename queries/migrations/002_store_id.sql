-- 002_store_id: every store knows its own identity (meta store_id), so a loader can tell
-- that a running server serves the store it was asked to write to (docs/security.md).
INSERT INTO meta
SELECT 'store_id', lower(replace(CAST(uuid() AS VARCHAR), '-', ''))
WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'store_id');
