-- foresight/cases: cases with a deadline that were open at some moment of [$since, $until]
-- (registered by $until, not closed before $since), not void, in the region $prefix
-- ('' = the whole store), with what the at-risk model reads (dashboard/foresight).
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
  AND starts_with(i.grid_code, $prefix)
ORDER BY i.id
