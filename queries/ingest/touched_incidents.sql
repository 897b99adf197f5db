-- ingest/touched_incidents: the (grid, day) keys of summary rows a batch can change
--
-- Purpose: run before the write (old versions of updated cases) and after it (new
--   versions of inserted and updated cases); every lifecycle day of those cases, with its
--   grid, goes into TEMP ingest_touched. The summaries are then recomputed for exactly
--   those keys (dashboard/kpi/summaries.py refresh_incremental).
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none (inserts grid_code, day, kind, updated: the case existed before).
INSERT INTO ingest_touched
SELECT DISTINCT grid_code, CAST(d AS DATE) AS day, 'incidents' AS kind, updated
FROM (
    SELECT i.grid_code, x.op = 'update' AS updated,
           unnest([i.reported_at, i.registered_at, i.dispatched_at, i.handled_at,
                   i.closed_at, i.deadline_at]) AS d
    FROM incidents AS i
    JOIN ingest_diff AS x ON x.case_no = i.case_no AND x.op <> 'same'
)
WHERE d IS NOT NULL;
