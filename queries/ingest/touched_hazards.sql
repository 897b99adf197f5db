-- ingest/touched_hazards: the (grid, day) keys of hazard_daily rows a batch can change
--
-- Purpose: as ingest_touched_incidents, for hazards (found, rectified and deadline days).
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none (inserts grid_code, day, kind, updated).
INSERT INTO ingest_touched
SELECT DISTINCT grid_code, CAST(d AS DATE) AS day, 'hazards' AS kind, updated
FROM (
    SELECT h.grid_code, x.op = 'update' AS updated,
           unnest([h.found_at, h.rectified_at, h.deadline_at]) AS d
    FROM hazards AS h
    JOIN ingest_diff AS x ON x.hazard_no = h.hazard_no AND x.op <> 'same'
)
WHERE d IS NOT NULL;
