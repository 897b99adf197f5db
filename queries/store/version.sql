-- store/version: a cheap value that changes whenever the store's committed data changes
--
-- Purpose: the key part that makes cached read results of an older state unreachable
--   (queries.run, dashboard/pagememo.py). The store id changes with every rebuilt store;
--   every import batch is logged in its own transaction (import_batches.id ascending); every
--   write through Store.writer bumps meta data_version after it.
-- Parameters: none.
-- Columns: version (text 'store_id:newest batch:data_version').
SELECT concat_ws(':',
    coalesce((SELECT value FROM meta WHERE key = 'store_id'), ''),
    coalesce((SELECT max(id) FROM import_batches), 0),
    coalesce((SELECT value FROM meta WHERE key = 'data_version'), '0')) AS version
