-- foresight/cases: cases with a deadline that were open at some moment of [$since, $until]
-- (registered by $until, not closed before $since), not void, in the region $prefix
-- ('' = the whole store), with what the at-risk model reads (dashboard/foresight; the
-- columns and base filter: foresight/case_rows.sql).
-- @include foresight/case_rows
  AND starts_with(i.grid_code, $prefix)
ORDER BY i.id
