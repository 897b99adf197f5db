-- foresight/surge_regions: names of the regions and 大类 surge alerts speak of.
-- Columns: kind ('region' | 'major'), code, name.
SELECT 'region' AS kind, short_code AS code, name FROM regions
UNION ALL
SELECT 'major', major_code, min(major_name) FROM categories GROUP BY major_code
