-- foresight/training_cases: the cases the at-risk model learns from: cases with a deadline
-- registered in [$since, $until], not void, with the columns of foresight/cases. At most
-- $limit of them: past that, a fixed pseudo-random choice (the smallest hashes of the ids,
-- the same on every run of one DuckDB version), so a fit's memory does not grow with the
-- store (dashboard/foresight/run.py MAX_TRAIN_CASES). In id order.
SELECT *
FROM (
    SELECT i.id, i.case_no, i.grid_code, i.category_code, c.major_code, c.minor_name,
           i.tier, i.dept_code, i.registered_at, i.dispatched_at, i.handled_at, i.verified_at,
           i.closed_at, i.deadline_at
    FROM incidents i
    LEFT JOIN categories c ON c.code = i.category_code
    WHERE NOT i.is_void
      AND i.deadline_at IS NOT NULL
      AND i.registered_at >= $since
      AND i.registered_at <= $until
      AND (i.closed_at IS NULL OR i.closed_at >= $since)
    ORDER BY hash(i.id), i.id
    LIMIT $limit
)
ORDER BY id
