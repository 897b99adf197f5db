-- ingest/diff_surveys: insert / update / same per clean row (upsert by case and time)
--
-- Parameters: none. Reads TEMP ingest_clean.
-- Columns: incident_id, surveyed_at, op.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT c.incident_id, c.surveyed_at,
       CASE
           WHEN s.incident_id IS NULL THEN 'insert'
           WHEN (c.channel, c.rating) IS NOT DISTINCT FROM (s.channel, s.rating) THEN 'same'
           ELSE 'update'
       END AS op
FROM ingest_clean AS c
LEFT JOIN surveys AS s ON s.incident_id = c.incident_id AND s.surveyed_at = c.surveyed_at;
