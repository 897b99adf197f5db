-- taxonomy/category_options: the category tree (大类 → 小类) for the filter bar
--
-- Purpose: the category picker lists every 大类 and its 小类 from the store, so an imported
--   classification shows up without code changes.
-- Parameters: none
-- Columns: code (小类 code), major_code, major_name ('(部件)' added for 部件 classes, which
--   share some names with 事件 classes), minor_name; ordered by code.
SELECT code, major_code,
       major_name || CASE WHEN domain = '部件' THEN '(部件)' ELSE '' END AS major_name,
       minor_name
FROM categories
ORDER BY code
