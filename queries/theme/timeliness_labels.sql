-- theme/timeliness_labels: names of the 时效 rows' keys (included, not run on its own)
--
-- Purpose: the label of a department row (its name; （未指定） without one) and of a 大类
--   row ('(部件)' added for 部件 classes, as cases/filtered.sql names them) of the rows `r`
--   of analysis/timeliness_rows.sql's shape.
-- Parameters: none.
-- Columns: facet, key, key2, bin, n, n_dl, ontime, hours_sum, label.
SELECT r.facet, r.key, r.key2, r.bin, r.n, r.n_dl, r.ontime, r.hours_sum,
       CASE r.facet WHEN 'department' THEN coalesce(d.name, '（未指定）')
                    WHEN 'major' THEN m.major ELSE r.key END AS label
FROM r
LEFT JOIN departments AS d ON r.facet = 'department' AND d.code = r.key
LEFT JOIN (
    SELECT DISTINCT major_code,
           major_name || CASE WHEN domain = '部件' THEN '(部件)' ELSE '' END AS major
    FROM categories
) AS m ON r.facet = 'major' AND m.major_code = r.key
