-- ingest/diff_key_persons: insert / update / same per clean row (upsert by id_number)
--
-- Purpose: the natural key of a key person is the ID number, kept in key_person_pii.
-- Parameters: none. Reads TEMP ingest_clean.
-- Columns: id_number, person_id (NULL for new persons), op.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT c.id_number, p.person_id,
       CASE
           WHEN p.person_id IS NULL THEN 'insert'
           WHEN (c.name, c.phone, c.address, c.grid_code, c.category, c.risk_level, c.gender,
                 c.birth_year, c.visit_interval_days, c.registered_at, c.removed_at,
                 c.point_quality)
                IS NOT DISTINCT FROM
                (p.name, p.phone, p.address, k.grid_code, k.category, k.risk_level, k.gender,
                 k.birth_year, k.visit_interval_days, k.registered_at, k.removed_at,
                 coalesce(k.point_quality, ''))
           THEN 'same'
           ELSE 'update'
       END AS op
FROM ingest_clean AS c
LEFT JOIN key_person_pii AS p ON p.id_number = c.id_number
LEFT JOIN key_persons AS k ON k.id = p.person_id;
