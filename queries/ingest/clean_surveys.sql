-- ingest/clean_surveys: the good rows of a checked batch in the shape of `surveys`
--
-- Purpose: the case number becomes the case's id.
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: case_no, incident_id, surveyed_at, channel, rating, _r, _line.
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT c.case_no, i.id AS incident_id, c.surveyed_at, c.channel, c.rating, c._r, c._line
FROM ingest_checked AS c
JOIN incidents AS i ON i.case_no = c.case_no
WHERE c._rule IS NULL;
