-- ingest/clean_visits: the good rows of a checked batch in the shape of `visits`
--
-- Purpose: the person's id from the ID number (key_person_pii), the grid from the row or,
--   when the export leaves it out, the person's grid.
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: id_number, person_id, grid_code, due_date, visited_at, kind, _r, _line.
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT upper(c.id_number) AS id_number, p.person_id,
       coalesce(c.grid_code, k.grid_code) AS grid_code, c.due_date, c.visited_at, c.kind,
       c._r, c._line
FROM ingest_checked AS c
JOIN key_person_pii AS p ON p.id_number = upper(c.id_number)
JOIN key_persons AS k ON k.id = p.person_id
WHERE c._rule IS NULL;
