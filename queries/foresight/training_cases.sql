-- foresight/training_cases: the cases the at-risk model learns from: cases with a deadline
-- registered in [$since, $until], not void, with the columns of foresight/cases (both
-- from foresight/case_rows.sql). At most $limit of them: past that, a fixed
-- pseudo-random choice (the smallest hashes of the ids, the same on every run of one
-- DuckDB version), so a fit's memory does not grow with the store
-- (dashboard/foresight/run.py MAX_TRAIN_CASES). In id order.
SELECT *
FROM (
    -- @include foresight/case_rows
      AND i.registered_at >= $since
    ORDER BY hash(i.id), i.id
    LIMIT $limit
)
ORDER BY id
