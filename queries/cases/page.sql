-- cases/page: one page of the filtered cases, sorted, or all of them for an export
--
-- Purpose: the analyst workbench's case table (server-side paging and sorting) and the
--   CSV/XLSX export of exactly the filtered set. Same filters as cases/facets.sql.
--   No personal data: cases carry none (reporters are not stored). A case attributed to
--   a region but to none of its grids (a placeholder point, docs/ingest.md) is listed
--   too: its place columns name what is known (town and village by short code).
-- Parameters:
--   $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids  the filters, as
--            in cases/filtered.sql (included)
--   $now     current time (TIMESTAMP): a case is overdue when open past its deadline now,
--            or closed after it
--   $sort    sort column, one of: reported_at, case_no, category, source, status, village,
--            deadline_at, closed_at, handle_hours (whitelisted by the caller)
--   $desc    TRUE for descending
--   $limit   rows per page, or NULL for every row (export)
--   $offset  rows to skip
-- Columns: id, case_no, reported_at, major, category, category_code, source, status, town,
--   village, grid,
--   grid_code, tier, department, deadline_at, closed_at, handle_hours (DOUBLE, NULL while
--   not handled), overdue (BOOLEAN), rework_count, total (rows of the whole filtered set,
--   so a page brings its page count); ties broken by id.
-- DuckDB-only: starts_with, list_contains, epoch.
WITH f AS (
    -- @include cases/filtered
),
rows AS (
    SELECT f.id, f.case_no, f.reported_at, f.major, f.category, f.category_code, f.source,
           f.status,
           t.name AS town, v.name AS village,
           coalesce(g.name, '（未落到网格）') AS grid, f.grid_code, f.tier,
           d.name AS department, f.deadline_at, f.closed_at,
           (epoch(f.handled_at) - epoch(f.registered_at)) / 3600.0 AS handle_hours,
           NOT f.is_void AND f.deadline_at IS NOT NULL
               AND coalesce(f.closed_at, $now) > f.deadline_at AS overdue,
           f.rework_count
    FROM f
    LEFT JOIN grids AS g ON g.code = f.grid_code
    LEFT JOIN regions AS v ON v.short_code = substr(f.grid_code, 1, 12)
    LEFT JOIN regions AS t ON t.short_code = substr(f.grid_code, 1, 9)
    LEFT JOIN departments AS d ON d.code = f.dept_code
)
-- the count beside the rows, not a window over them: a window needs every row before the
-- sort, so a page of 15 sorted all 2.8M rows of a city's 30 days at 100M (3.9 s); now
-- the ORDER BY … LIMIT keeps only the top rows (0.45 s)
SELECT rows.*, n.total
FROM rows, (SELECT count(*) AS total FROM rows) AS n
ORDER BY
    CASE WHEN NOT $desc THEN CASE $sort
        WHEN 'reported_at' THEN epoch(reported_at) WHEN 'deadline_at' THEN epoch(deadline_at)
        WHEN 'closed_at' THEN epoch(closed_at) WHEN 'handle_hours' THEN handle_hours END END
        ASC NULLS LAST,
    CASE WHEN $desc THEN CASE $sort
        WHEN 'reported_at' THEN epoch(reported_at) WHEN 'deadline_at' THEN epoch(deadline_at)
        WHEN 'closed_at' THEN epoch(closed_at) WHEN 'handle_hours' THEN handle_hours END END
        DESC NULLS LAST,
    CASE WHEN NOT $desc THEN CASE $sort
        WHEN 'case_no' THEN case_no WHEN 'category' THEN category WHEN 'source' THEN source
        WHEN 'status' THEN status WHEN 'village' THEN village END END ASC NULLS LAST,
    CASE WHEN $desc THEN CASE $sort
        WHEN 'case_no' THEN case_no WHEN 'category' THEN category WHEN 'source' THEN source
        WHEN 'status' THEN status WHEN 'village' THEN village END END DESC NULLS LAST,
    id
LIMIT $limit OFFSET $offset
