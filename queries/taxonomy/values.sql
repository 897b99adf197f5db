-- taxonomy/values: every value of the store's simple vocabularies (dashboard/taxonomy.py)
--
-- Purpose: filter choices and URL validation (dashboard/filters.py) and display names
--   (Vocab.label) come from the store, so a city's own lists show without code changes.
-- Parameters: none
-- Columns: field, code, name, name_en (NULL: none); in display order per field.
SELECT field, code, name, name_en
FROM taxonomy
ORDER BY field, sort, code
