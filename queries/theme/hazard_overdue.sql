-- theme/hazard_overdue: the filtered hazards still open past their rectification deadline
--
-- Purpose: the 隐患 page's 逾期未整改 list, most overdue first, with who must act. A
--   hazard attributed to a region but to none of its grids (a placeholder point,
--   docs/ingest.md) is listed too, its grid as （未落到网格）.
-- Parameters: $prefix, $start, $end, $grids, $types, $risks, $now as in hazards_filtered;
--   $limit  rows to return
-- Columns: id, hazard_no, type, risk_level, found_at, deadline_at, days_over (DOUBLE),
--   town, village, grid, department; ordered by deadline_at, id.
-- DuckDB-only: starts_with, list_contains, epoch.
WITH f AS (
    -- @include theme/hazards_filtered
)
SELECT f.id, f.hazard_no, f.type, f.risk_level, f.found_at, f.deadline_at,
       (epoch($now) - epoch(f.deadline_at)) / 86400.0 AS days_over,
       t.name AS town, coalesce(v.name, t.name, '—') AS village,
       coalesce(g.name, '（未落到网格）') AS grid, d.name AS department
FROM f
LEFT JOIN grids AS g ON g.code = f.grid_code
LEFT JOIN regions AS v ON v.short_code = substr(f.grid_code, 1, 12)
LEFT JOIN regions AS t ON t.short_code = substr(f.grid_code, 1, 9)
LEFT JOIN departments AS d ON d.code = f.dept_code
WHERE f.state = '逾期未整改'
ORDER BY f.deadline_at, f.id
LIMIT $limit
