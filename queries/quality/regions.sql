-- quality/regions: data-quality counts per unit below a region (数据质量, gridcmd import report)
--
-- Purpose: per map unit of the scope, how many located records (incidents by reported_at,
--   hazards by found_at, key persons by registered_at, inside the period) had a
--   placeholder point (point_quality placeholder or placed_by_region, docs/ingest.md),
--   how many are attributed to a region but to none of its grids (grid code ending in
--   '000': placed by a ward, or unplaced), and how many registered cases have no
--   deadline_at. Rows outside every grid (grid_code '') belong to no scope; they are
--   counted per unit by dashboard/quality_data.py from their points.
-- Parameters:
--   $prefix    scope short code (validated by Scope)
--   $unit_len  length of the unit key (6/9/12/15: the level below the scope, or the
--              scope's own length for its total)
--   $start     first time, inclusive (TIMESTAMP); $end  bound, exclusive
-- Columns: unit (first $unit_len digits of grid_code; a unit ending in a zero segment
--   stands for the rows attributed to the region above only), records, incidents,
--   flagged, placed, unplaced, ungridded, registered, no_deadline (BIGINT).
-- DuckDB-only: starts_with.
WITH facts AS (
    SELECT grid_code, point_quality, TRUE AS incident,
           registered_at IS NOT NULL AS registered,
           registered_at IS NOT NULL AND deadline_at IS NULL AS no_deadline
    FROM incidents
    WHERE starts_with(grid_code, $prefix) AND reported_at >= $start AND reported_at < $end
    UNION ALL
    SELECT grid_code, point_quality, FALSE, FALSE, FALSE
    FROM hazards
    WHERE starts_with(grid_code, $prefix) AND found_at >= $start AND found_at < $end
    UNION ALL
    SELECT grid_code, point_quality, FALSE, FALSE, FALSE
    FROM key_persons
    WHERE starts_with(grid_code, $prefix) AND registered_at >= $start
      AND registered_at < $end
)
SELECT substr(grid_code, 1, $unit_len) AS unit,
       count(*) AS records,
       count(*) FILTER (WHERE incident) AS incidents,
       count(*) FILTER (WHERE point_quality IN ('placeholder', 'placed_by_region')) AS flagged,
       count(*) FILTER (WHERE point_quality = 'placed_by_region') AS placed,
       count(*) FILTER (WHERE point_quality = 'placeholder') AS unplaced,
       count(*) FILTER (WHERE substr(grid_code, 13, 3) = '000') AS ungridded,
       count(*) FILTER (WHERE registered) AS registered,
       count(*) FILTER (WHERE no_deadline) AS no_deadline
FROM facts
GROUP BY 1
ORDER BY 1
