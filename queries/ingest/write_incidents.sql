-- ingest/write_incidents: apply ingest_diff to `incidents` (update changed, append new)
--
-- Purpose: the upsert. Updated cases keep their id; new cases get ids after the largest,
--   in reported_at order, and are appended in that order so zone maps keep working.
-- Parameters: batch (import_batches.id of this batch: the rows it writes carry it).
--   Reads TEMP ingest_clean and ingest_diff. Runs inside the batch's transaction
--   (dashboard/ingest/load.py).
-- Columns: none.
UPDATE incidents AS i
SET source = c.source, category_code = c.category_code, grid_code = c.grid_code,
    lon = c.lon, lat = c.lat, reported_at = c.reported_at, registered_at = c.registered_at,
    dispatched_at = c.dispatched_at, handled_at = c.handled_at, verified_at = c.verified_at,
    closed_at = c.closed_at, deadline_at = c.deadline_at, status = c.status,
    is_void = c.is_void, rework_count = c.rework_count, extended_hours = c.extended_hours,
    tier = c.tier, dept_code = c.dept_code, escalations = c.escalations,
    handled_online = c.handled_online, batch_id = $batch,
    point_quality = c.point_quality
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.case_no = c.case_no AND d.op = 'update'
WHERE i.case_no = c.case_no;

INSERT INTO incidents (
    id, case_no, source, category_code, grid_code, lon, lat, reported_at, registered_at,
    dispatched_at, handled_at, verified_at, closed_at, deadline_at, status, is_void,
    rework_count, extended_hours, tier, dept_code, escalations, handled_online, batch_id,
    point_quality
)
-- the ids are numbered over the narrow (case_no, reported_at) rows; the wide rows are sorted
-- once, by id (the same order: case numbers are unique in a batch)
WITH ids AS (
    SELECT c.case_no,
           (SELECT coalesce(max(id), 0) FROM incidents)
               + row_number() OVER (ORDER BY c.reported_at, c.case_no) AS id
    FROM ingest_clean AS c
    JOIN ingest_diff AS d ON d.case_no = c.case_no AND d.op = 'insert'
)
SELECT n.id,
       c.case_no, c.source, c.category_code, c.grid_code, c.lon, c.lat, c.reported_at,
       c.registered_at, c.dispatched_at, c.handled_at, c.verified_at, c.closed_at,
       c.deadline_at, c.status, c.is_void, c.rework_count, c.extended_hours, c.tier,
       c.dept_code, c.escalations, c.handled_online, $batch, c.point_quality
FROM ingest_clean AS c
JOIN ids AS n ON n.case_no = c.case_no
ORDER BY n.id;
