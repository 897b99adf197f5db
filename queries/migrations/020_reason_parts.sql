-- 020_reason_parts: foresight_scores gains reason_parts, the structured reasons of a score
-- (JSON: an at-risk case's reason codes and their numbers, a surge alert's region, 大类
-- and counts), which the screens word per language at read time
-- (dashboard/foresight/explain.py, docs/foresight.md). The rows stored before keep NULL
-- there and read as their stored Chinese text (reasons) until the next scoring run
-- rewrites them. No other table changes.
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS reason_parts VARCHAR;
