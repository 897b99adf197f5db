-- persons/detail: one key person with personal fields, only if inside the jurisdiction
--
-- Purpose: the detail view of dashboard.privacy (masked unless the user is cleared).
--   A person outside $prefix yields no row, exactly like an unknown id.
-- Parameters:
--   $prefix     scope region short code (validated by Scope)
--   $person_id  key_persons.id
-- Columns: as person_list; zero or one row.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT p.id, p.grid_code, g.name AS grid_name, v.name AS village_name, p.category,
       p.risk_level, p.gender, p.birth_year, k.name, k.id_number, k.phone, k.address
FROM key_persons p
JOIN key_person_pii k ON k.person_id = p.id
LEFT JOIN grids g ON g.code = p.grid_code
LEFT JOIN regions v ON v.code = substr(p.grid_code, 1, 12)
WHERE p.id = $person_id
  AND starts_with(p.grid_code, $prefix)
