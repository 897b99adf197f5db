-- taxonomy/category_names: every category's names, Chinese and English (dashboard/taxonomy.py)
--
-- Purpose: URL validation of 大类/小类 filters and display names of categories in the page's
--   language (Vocab.label).
-- Parameters: none
-- Columns: code, major_code, major_name, minor_name, name_en, major_name_en; by code.
SELECT code, major_code, major_name, minor_name, name_en, major_name_en
FROM categories
ORDER BY code
