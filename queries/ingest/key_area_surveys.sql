-- ingest/key_area_surveys: an area survey's stored area code and, without a response number,
-- its derived natural key
--
-- Purpose: runs after the typing step (dashboard/ingest/load.py), before the rules. A region
--   named by its 12-digit code is stored by its short code (as every region key of the
--   store), so one area reads the same however a file writes it. An answer without a
--   response number (survey_no) gets `<area_code>@<surveyed_at>#<n>`, n numbering the file's
--   answers of that area and moment in file order: a rerun, a re-export or a corrected
--   export of the same survey updates its answers instead of adding them again. The file is
--   one batch (kinds.AREA_SURVEYS.single_batch), so n counts over the whole file. A row
--   whose area or time is missing or unparseable still gets a key (with an empty part): the
--   rule that names the real problem reports it.
-- Parameters: none. Reads and replaces TEMP ingest_typed.
-- Columns: those of ingest_typed, in file order (_r).
CREATE OR REPLACE TEMP TABLE ingest_typed AS
WITH n AS (
    SELECT t.* REPLACE (coalesce(r.short_code, t.area_code) AS area_code)
    FROM ingest_typed AS t
    LEFT JOIN regions AS r ON r.code = t.area_code
)
SELECT * REPLACE (
    coalesce(survey_no,
             coalesce(area_code, '') || '@'
             || coalesce(strftime(surveyed_at, '%Y-%m-%d %H:%M:%S'), '') || '#'
             || CAST(row_number() OVER (PARTITION BY area_code, surveyed_at, survey_no IS NULL
                                        ORDER BY _r) AS VARCHAR)) AS survey_no)
FROM n
ORDER BY _r;
