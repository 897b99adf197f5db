-- ingest/unknown_majors: the 大类 a batch's good rows name for their categories
--
-- Purpose: a mapping's [taxonomy] category_major column (docs/ingest.md): the 大类 of a
--   category the loader adds (the first name a row gives; none: 未分类).
-- Parameters: none. Reads TEMP ingest_checked (column _tax_major of the typing step).
-- Columns: code (category code), major_name.
SELECT c.category_code AS code, min(c._tax_major) AS major_name
FROM ingest_checked AS c
WHERE c._rule IS NULL AND c.category_code IS NOT NULL
GROUP BY c.category_code
