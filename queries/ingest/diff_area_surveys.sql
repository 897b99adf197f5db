-- ingest/diff_area_surveys: insert / update / same for each clean row (upsert by survey_no)
--
-- Parameters: none. Reads TEMP ingest_clean.
-- Columns: survey_no, op.
CREATE OR REPLACE TEMP TABLE ingest_diff AS
SELECT c.survey_no,
       CASE
           WHEN a.survey_no IS NULL THEN 'insert'
           WHEN (c.area_code, c.surveyed_at, c.rating, c.respondent_group, c.channel)
                IS NOT DISTINCT FROM
                (a.area_code, a.surveyed_at, a.rating, a.respondent_group, a.channel)
           THEN 'same'
           ELSE 'update'
       END AS op
FROM ingest_clean AS c
LEFT JOIN area_surveys AS a ON a.survey_no = c.survey_no;
