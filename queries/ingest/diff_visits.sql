-- ingest/diff_visits: insert / update / same per clean row (upsert by person and due day)
--
-- Parameters: none. Reads TEMP ingest_clean.
-- Columns: person_id, due_date, op.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT c.person_id, c.due_date,
       CASE
           WHEN v.person_id IS NULL THEN 'insert'
           WHEN (c.grid_code, c.visited_at, c.kind)
                IS NOT DISTINCT FROM (v.grid_code, v.visited_at, v.kind)
           THEN 'same'
           ELSE 'update'
       END AS op
FROM ingest_clean AS c
LEFT JOIN visits AS v ON v.person_id = c.person_id AND v.due_date = c.due_date;
