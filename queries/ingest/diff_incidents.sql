-- ingest/diff_incidents: what each clean row does to `incidents` (upsert by case_no)
--
-- Purpose: 'insert' for a new case number, 'update' when the stored case differs in any
--   column, 'same' when it is identical (so a second load of a file changes nothing).
-- Parameters: none. Reads TEMP ingest_clean.
-- Columns: case_no, op.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT c.case_no,
       CASE
           WHEN i.case_no IS NULL THEN 'insert'
           WHEN (c.source, c.category_code, c.grid_code, c.lon, c.lat, c.reported_at,
                 c.registered_at, c.dispatched_at, c.handled_at, c.verified_at, c.closed_at,
                 c.deadline_at, c.status, c.is_void, c.rework_count, c.extended_hours, c.tier,
                 c.dept_code, c.escalations, c.handled_online, c.point_quality)
                IS NOT DISTINCT FROM
                (i.source, i.category_code, i.grid_code, i.lon, i.lat, i.reported_at,
                 i.registered_at, i.dispatched_at, i.handled_at, i.verified_at, i.closed_at,
                 i.deadline_at, i.status, i.is_void, i.rework_count, i.extended_hours, i.tier,
                 i.dept_code, i.escalations, i.handled_online,
                 coalesce(i.point_quality, ''))
           THEN 'same'
           ELSE 'update'
       END AS op
FROM ingest_clean AS c
LEFT JOIN incidents AS i ON i.case_no = c.case_no;
