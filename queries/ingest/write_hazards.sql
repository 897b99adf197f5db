-- ingest/write_hazards: apply ingest_diff to `hazards` (update changed, append new)
--
-- Parameters: batch (import_batches.id: the rows written carry it). Reads TEMP
--   ingest_clean and ingest_diff.
-- Columns: none.
UPDATE hazards AS h
SET type = c.type, risk_level = c.risk_level, grid_code = c.grid_code, lon = c.lon,
    lat = c.lat, source = c.source, found_at = c.found_at, deadline_at = c.deadline_at,
    rectified_at = c.rectified_at, dept_code = c.dept_code, batch_id = $batch,
    point_quality = c.point_quality
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.hazard_no = c.hazard_no AND d.op = 'update'
WHERE h.hazard_no = c.hazard_no;

INSERT INTO hazards (
    id, hazard_no, type, risk_level, grid_code, lon, lat, source, found_at, deadline_at,
    rectified_at, dept_code, batch_id, point_quality
)
SELECT (SELECT coalesce(max(id), 0) FROM hazards)
           + row_number() OVER (ORDER BY c.found_at, c.hazard_no),
       c.hazard_no, c.type, c.risk_level, c.grid_code, c.lon, c.lat, c.source, c.found_at,
       c.deadline_at, c.rectified_at, c.dept_code, $batch, c.point_quality
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.hazard_no = c.hazard_no AND d.op = 'insert'
ORDER BY c.found_at, c.hazard_no;
