-- report_departments: per handling department, cases closed in a month and their timeliness
--
-- Purpose: the 通报's department ranking. The summary tables have no department dimension,
--   so this reads raw incidents, scoped by the grid of each case: a city bureau seen from a
--   county scope is judged on that county's cases only. Definitions are the registry's
--   (non-void; on time = closed_at <= deadline_at; overdue open at the month end = deadline
--   before it and not closed by it), per department. Cases without a department (never
--   dispatched) are left out: they are no department's record.
-- Parameters:
--   $prefix  scope region short code; rows kept when starts_with(grid_code, $prefix)
--   $start   first moment of the month (TIMESTAMP, Asia/Shanghai wall clock)
--   $end     first moment of the next month (TIMESTAMP)
-- Columns: dept_code, name, tier, closed (closed in the month), closed_ontime,
--   closed_late, overdue_open (open past deadline at $end); departments with any of them.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT i.dept_code,
       coalesce(d.name, i.dept_code) AS name,
       d.tier,
       sum(CASE WHEN i.closed_at >= $start AND i.closed_at < $end THEN 1 ELSE 0 END) AS closed,
       sum(CASE WHEN i.closed_at >= $start AND i.closed_at < $end
                 AND i.closed_at <= i.deadline_at THEN 1 ELSE 0 END) AS closed_ontime,
       sum(CASE WHEN i.closed_at >= $start AND i.closed_at < $end
                 AND i.closed_at > i.deadline_at THEN 1 ELSE 0 END) AS closed_late,
       sum(CASE WHEN i.deadline_at < $end AND (i.closed_at IS NULL OR i.closed_at >= $end)
                THEN 1 ELSE 0 END) AS overdue_open
FROM incidents AS i
LEFT JOIN departments AS d ON d.code = i.dept_code
WHERE starts_with(i.grid_code, $prefix)
  AND NOT i.is_void
  AND i.dept_code IS NOT NULL
  AND ((i.closed_at >= $start AND i.closed_at < $end)
       OR (i.deadline_at < $end AND (i.closed_at IS NULL OR i.closed_at >= $end)))
GROUP BY i.dept_code, d.name, d.tier
