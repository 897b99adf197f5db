-- persons/list: listed key persons in a jurisdiction with their personal fields, for masking
--
-- Purpose: the person list and export of dashboard.privacy. Clear personal fields are read
--   here and masked in Python before anything leaves the server (except a cleared detail view,
--   which uses person_detail). Only persons still listed (removed_at IS NULL).
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $limit   maximum number of rows
-- Columns: id, grid_code, grid_name, village_name, category, risk_level, gender, birth_year,
--   name, id_number, phone, address; ordered by id.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT p.id, p.grid_code, g.name AS grid_name, v.name AS village_name, p.category,
       p.risk_level, p.gender, p.birth_year, k.name, k.id_number, k.phone, k.address
FROM key_persons p
JOIN key_person_pii k ON k.person_id = p.id
LEFT JOIN grids g ON g.code = p.grid_code
LEFT JOIN regions v ON v.code = substr(p.grid_code, 1, 12)
WHERE starts_with(p.grid_code, $prefix)
  AND p.removed_at IS NULL
ORDER BY p.id
LIMIT $limit
