-- foresight/case_rows: the cases the at-risk model reads (included, not run on its own)
--
-- Purpose: the one select list and base filter of foresight/cases.sql (the cases open at
--   some moment of [$since, $until], scored) and foresight/training_cases.sql (the cases
--   registered in it, learned from), included with `-- @include foresight/case_rows`:
--   cases with a deadline, registered by $until, not closed before $since, not void, with
--   their 大类 and 小类 name. The including query adds its own conditions (AND …).
-- Parameters: $since, $until  TIMESTAMP.
-- Columns: id, case_no, grid_code, category_code, major_code, minor_name, tier, dept_code,
--   registered_at, dispatched_at, handled_at, verified_at, closed_at, deadline_at.
SELECT i.id, i.case_no, i.grid_code, i.category_code, c.major_code, c.minor_name,
       i.tier, i.dept_code, i.registered_at, i.dispatched_at, i.handled_at, i.verified_at,
       i.closed_at, i.deadline_at
FROM incidents i
LEFT JOIN categories c ON c.code = i.category_code
WHERE NOT i.is_void
  AND i.deadline_at IS NOT NULL
  AND i.registered_at IS NOT NULL
  AND i.registered_at <= $until
  AND (i.closed_at IS NULL OR i.closed_at >= $since)
