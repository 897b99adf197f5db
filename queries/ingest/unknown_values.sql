-- ingest/unknown_values: the values of one vocabulary field that a batch's good rows hold
--
-- Purpose: a mapping's [taxonomy] add_unknown (docs/ingest.md): the loader adds those the
--   store's lists lack, named as the source wrote them (before the value map; the column
--   _src_<field> of the typing step), so only values of rows that load are added.
-- @slot field: source category_code dept_code type category kind channel respondent_group
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: code (the stored value), name (the first source spelling, else the code).
SELECT c.{{field}} AS code, coalesce(min(c._src_{{field}}), c.{{field}}) AS name
FROM ingest_checked AS c
WHERE c._rule IS NULL AND c.{{field}} IS NOT NULL
GROUP BY c.{{field}}
ORDER BY code
