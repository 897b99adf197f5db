-- store/blocks: the store file's block counts as the writer's connection sees them
--
-- Purpose: part of what tells the intake writer that the store file itself was written since
--   its last whole copy (dashboard/serving.py, publish): a large batch's row groups are
--   written straight into the file before they commit (DuckDB's optimistic writes), which
--   allocates blocks whether or not the file's size or time changes.
-- Parameters: none.
-- Columns: total_blocks, free_blocks (one row: the connection's current database).
SELECT total_blocks, free_blocks
FROM pragma_database_size()
WHERE database_name = current_database()
