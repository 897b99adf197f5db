-- theme/hazards_filtered: the hazards an analyst's filters select (included, not run on its own)
--
-- Purpose: the one filter block of the 隐患 page, included by theme/hazard_facets.sql,
--   theme/hazard_overdue.sql and analysis_points.sql, so its charts, list and map agree.
-- Parameters:
--   $prefix  scope short code (validated by Scope, narrowed to the filter's region)
--   $start   first time found, inclusive (TIMESTAMP, Asia/Shanghai); $end exclusive
--   $grids   list of 15-digit grid codes or NULL
--   $types   list of hazard types or NULL;  $risks  list of risk levels or NULL
--   $now     current time: the rectification state is the state now
-- Columns: every hazards column, plus state: 按期整改 (rectified by the deadline), 超期整改
--   (rectified after it), 整改中 (open, deadline not passed), 逾期未整改 (open past it).
-- DuckDB-only: starts_with, list_contains.
SELECT h.*,
       CASE WHEN h.rectified_at IS NOT NULL AND h.rectified_at <= $now
                THEN CASE WHEN h.rectified_at <= h.deadline_at THEN '按期整改' ELSE '超期整改' END
            WHEN h.deadline_at < $now THEN '逾期未整改'
            ELSE '整改中' END AS state
FROM hazards AS h
WHERE starts_with(h.grid_code, $prefix)
  AND h.found_at >= $start AND h.found_at < $end AND h.found_at <= $now
  AND ($grids IS NULL OR list_contains($grids, h.grid_code))
  AND ($types IS NULL OR list_contains($types, h.type))
  AND ($risks IS NULL OR list_contains($risks, h.risk_level))
