-- ingest/write_key_persons: apply ingest_diff to key_persons and key_person_pii
--
-- Purpose: updated persons keep their id; new persons get ids after the largest, in the
--   same order in both tables.
-- Parameters: batch (import_batches.id: the rows written carry it). Reads TEMP
--   ingest_clean and ingest_diff.
-- Columns: none.
UPDATE key_persons AS k
SET grid_code = c.grid_code, category = c.category, risk_level = c.risk_level,
    gender = c.gender, birth_year = c.birth_year,
    visit_interval_days = c.visit_interval_days, registered_at = c.registered_at,
    removed_at = c.removed_at, batch_id = $batch,
    point_quality = c.point_quality
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.id_number = c.id_number AND d.op = 'update'
WHERE k.id = d.person_id;

UPDATE key_person_pii AS p
SET name = c.name, phone = c.phone, address = c.address, batch_id = $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.id_number = c.id_number AND d.op = 'update'
WHERE p.person_id = d.person_id;

CREATE OR REPLACE TEMP TABLE ingest_new_ids AS
SELECT c.id_number,
       (SELECT coalesce(max(id), 0) FROM key_persons)
           + row_number() OVER (ORDER BY c.registered_at, c.id_number) AS id
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.id_number = c.id_number AND d.op = 'insert';

INSERT INTO key_persons (
    id, grid_code, category, risk_level, gender, birth_year, visit_interval_days,
    registered_at, removed_at, batch_id, point_quality
)
SELECT n.id, c.grid_code, c.category, c.risk_level, c.gender, c.birth_year,
       c.visit_interval_days, c.registered_at, c.removed_at, $batch,
       c.point_quality
FROM ingest_clean AS c
JOIN ingest_new_ids AS n ON n.id_number = c.id_number
ORDER BY n.id;

INSERT INTO key_person_pii (person_id, name, id_number, phone, address, batch_id)
SELECT n.id, c.name, c.id_number, c.phone, c.address, $batch
FROM ingest_clean AS c
JOIN ingest_new_ids AS n ON n.id_number = c.id_number
ORDER BY n.id;
