-- ingest/clean_area_surveys: the good rows of a checked batch in the shape of `area_surveys`
--
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: the area_surveys columns without id, plus _r and _line.
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT c.survey_no, c.area_code, c.surveyed_at, c.rating, c.respondent_group, c.channel,
       c._r, c._line
FROM ingest_checked AS c
WHERE c._rule IS NULL;
