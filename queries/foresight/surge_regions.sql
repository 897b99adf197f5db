-- foresight/surge_regions: names of the regions and 大类 surge alerts speak of.
-- Columns: kind ('region' | 'major'), code, name, name_en (the 大类's English name, NULL
--   when the store has none; NULL for a region).
SELECT 'region' AS kind, short_code AS code, name, CAST(NULL AS VARCHAR) AS name_en
FROM regions
UNION ALL
SELECT 'major', major_code, min(major_name), min(major_name_en)
FROM categories GROUP BY major_code
