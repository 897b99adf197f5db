-- ingest/diff_hazards: insert / update / same for each clean row (upsert by hazard_no)
--
-- Parameters: none. Reads TEMP ingest_clean.
-- Columns: hazard_no, op.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT c.hazard_no,
       CASE
           WHEN h.hazard_no IS NULL THEN 'insert'
           WHEN (c.type, c.risk_level, c.grid_code, c.lon, c.lat, c.source, c.found_at,
                 c.deadline_at, c.rectified_at, c.dept_code, c.point_quality)
                IS NOT DISTINCT FROM
                (h.type, h.risk_level, h.grid_code, h.lon, h.lat, h.source, h.found_at,
                 h.deadline_at, h.rectified_at, h.dept_code, coalesce(h.point_quality, ''))
           THEN 'same'
           ELSE 'update'
       END AS op
FROM ingest_clean AS c
LEFT JOIN hazards AS h ON h.hazard_no = c.hazard_no;
