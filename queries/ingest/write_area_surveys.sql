-- ingest/write_area_surveys: apply ingest_diff to `area_surveys` (update changed, append new)
--
-- Parameters: batch (import_batches.id: the rows written carry it). Reads TEMP
--   ingest_clean and ingest_diff.
-- Columns: none.
UPDATE area_surveys AS a
SET area_code = c.area_code, surveyed_at = c.surveyed_at, rating = c.rating,
    respondent_group = c.respondent_group, channel = c.channel, batch_id = $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.survey_no = c.survey_no AND d.op = 'update'
WHERE a.survey_no = c.survey_no;

INSERT INTO area_surveys (id, survey_no, area_code, surveyed_at, rating, respondent_group,
                          channel, batch_id)
SELECT (SELECT coalesce(max(id), 0) FROM area_surveys)
           + row_number() OVER (ORDER BY c.surveyed_at, c.survey_no),
       c.survey_no, c.area_code, c.surveyed_at, c.rating, c.respondent_group, c.channel,
       $batch
FROM ingest_clean AS c
JOIN ingest_diff AS d ON d.survey_no = c.survey_no AND d.op = 'insert'
ORDER BY c.surveyed_at, c.survey_no;
