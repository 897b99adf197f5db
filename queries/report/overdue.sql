-- report/overdue: the 通报's overdue list (超期清单) for one month
--
-- Purpose: name the cases behind 超期数 and the late closures of the month, worst first.
--   Two kinds, both non-void with a deadline:
--     超期未结  open past its deadline at the month end: deadline_at < $end and not closed
--               by it (closed_at NULL or >= $end), as the registry's 超期数 stock;
--               days overdue = $end - deadline_at
--     逾期结案  closed in the month after its deadline: $start <= closed_at < $end and
--               closed_at > deadline_at; days overdue = closed_at - deadline_at
-- Parameters:
--   $prefix  scope region short code; rows kept when starts_with(grid_code, $prefix)
--   $start   first moment of the month (TIMESTAMP, Asia/Shanghai wall clock)
--   $end     first moment of the next month (TIMESTAMP)
--   $limit   most rows returned (the totals count all of them)
-- Columns: case_no, kind, category_name (大类/小类), grid_name, village_name, dept_name
--   (NULL when never dispatched), reported_at, deadline_at, closed_at, days_overdue
--   (DOUBLE, days), total (all rows of both kinds), open_total (超期未结 rows); ordered by
--   days_overdue descending, then case_no.
-- DuckDB-only: starts_with(), date_diff() (Spark: startswith(), unix_timestamp arithmetic).
WITH scoped AS (
    SELECT i.case_no, i.category_code, i.grid_code, i.dept_code, i.reported_at,
           i.deadline_at, i.closed_at,
           (i.closed_at IS NULL OR i.closed_at >= $end) AS is_open
    FROM incidents AS i
    WHERE starts_with(i.grid_code, $prefix)
      AND NOT i.is_void
      AND i.deadline_at IS NOT NULL
      AND i.deadline_at < $end
      AND ((i.closed_at IS NULL OR i.closed_at >= $end)
           OR (i.closed_at >= $start AND i.closed_at < $end AND i.closed_at > i.deadline_at))
)
SELECT s.case_no,
       CASE WHEN s.is_open THEN '超期未结' ELSE '逾期结案' END AS kind,
       c.major_name || '/' || c.minor_name AS category_name,
       g.name AS grid_name,
       v.name AS village_name,
       d.name AS dept_name,
       s.reported_at,
       s.deadline_at,
       CASE WHEN s.is_open THEN NULL ELSE s.closed_at END AS closed_at,
       date_diff('second', s.deadline_at, CASE WHEN s.is_open THEN $end ELSE s.closed_at END)
           / 86400.0 AS days_overdue,
       count(*) OVER () AS total,
       sum(CASE WHEN s.is_open THEN 1 ELSE 0 END) OVER () AS open_total
FROM scoped AS s
LEFT JOIN categories AS c ON c.code = s.category_code
LEFT JOIN grids AS g ON g.code = s.grid_code
LEFT JOIN regions AS v ON v.code = g.village_code
LEFT JOIN departments AS d ON d.code = s.dept_code
ORDER BY days_overdue DESC, s.case_no
LIMIT $limit
