-- cases/export_days: how many filtered cases were reported on each day
--
-- Purpose: the CSV export reads its lines in slices of whole days of about a fixed number
--   of rows (dashboard.cases_data.export_lines), so that no slice's sort outgrows the
--   server's DuckDB memory: one sort of a city's 30 days at 100M (2.8M rows of every
--   column) spilled to disk. Same filters as cases/page (cases/filtered, included).
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids, as in
--   cases/filtered.
-- Columns: day (DATE), cases (BIGINT), oldest first; days without a case are absent.
WITH f AS (
    -- @include cases/filtered
)
SELECT CAST(reported_at AS DATE) AS day, count(*) AS cases
FROM f
GROUP BY day
ORDER BY day
