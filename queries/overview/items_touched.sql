-- overview/items_touched: the cases of the grids a deferred import touched
--
-- Purpose: which cases the incremental update of open_items (overview/items_update.sql)
--   recomputes after the pending refresh of a deferred or replacing load
--   (dashboard/kpi/summaries.py refresh_pending → refresh_incremental), which knows the
--   (grid, day) keys of its batches (TEMP ingest_touched, ingest/touched_incidents.sql:
--   the old and new versions of every case inserted, updated or removed) but not the
--   cases: every case of those grids that open_items holds or may now hold (open, or
--   reported in the feed's week before $valid_from). Two narrow scans of incidents (each
--   can skip row groups by its own filter), then the stored rows of those grids.
-- Parameters: $valid_from (the store's newest event now). Reads TEMP ingest_touched.
-- Columns: none (creates TEMP items_cases: id).
CREATE OR REPLACE TEMP TABLE items_cases AS
WITH grids AS (
    SELECT DISTINCT grid_code FROM ingest_touched WHERE kind = 'incidents'
)
SELECT id
FROM incidents
WHERE grid_code IN (SELECT grid_code FROM grids)
  AND closed_at IS NULL
  AND NOT is_void
  AND registered_at IS NOT NULL
  AND deadline_at IS NOT NULL
UNION
SELECT id
FROM incidents
WHERE grid_code IN (SELECT grid_code FROM grids)
  AND reported_at >= CAST($valid_from AS TIMESTAMP) - INTERVAL 7 DAY
UNION
SELECT id
FROM open_items
WHERE kind = 'case'
  AND grid_code IN (SELECT grid_code FROM grids);
