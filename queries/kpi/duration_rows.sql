-- kpi/duration_rows: the case durations a quantile KPI ranks (included, not run alone)
--
-- Purpose: the one definition of the rows behind the duration quantiles, included with
--   `-- @include kpi/duration_rows` by kpi/incident_quantiles.sql (per region and bucket)
--   and kpi/rank_edges.sql (a partial month's rows for the ranked medians), so both rank
--   the same doubles: response (上报 → 立案) of the non-void cases registered in
--   [$start, $end), from raw incidents; handle (立案 → 处置, NULL ones left out) and close
--   (上报 → 结案) of the cases closed in it, from case_durations (migration 010: the same
--   expressions stored per closed case). An arm runs only when its measure is wanted.
-- Parameters: $prefix (scope short code; starts_with(grid_code, $prefix)), $measures
--   (VARCHAR[] of response, handle, close), $start, $end (TIMESTAMP midnights: start
--   inclusive, end exclusive).
-- Columns: grid_code, measure, day (DATE: the registration or closing day), hours (DOUBLE).
SELECT grid_code, 'response' AS measure, CAST(registered_at AS DATE) AS day,
       (epoch(registered_at) - epoch(reported_at)) / 3600.0 AS hours
FROM incidents
WHERE list_contains($measures, 'response')
  AND starts_with(grid_code, $prefix)
  AND NOT is_void AND registered_at >= $start AND registered_at < $end
UNION ALL
SELECT grid_code, 'handle', closed_day, handle_hours
FROM case_durations
WHERE list_contains($measures, 'handle')
  AND starts_with(grid_code, $prefix)
  AND closed_day >= CAST($start AS DATE) AND closed_day < CAST($end AS DATE)
  AND handle_hours IS NOT NULL
UNION ALL
SELECT grid_code, 'close', closed_day, close_hours
FROM case_durations
WHERE list_contains($measures, 'close')
  AND starts_with(grid_code, $prefix)
  AND closed_day >= CAST($start AS DATE) AND closed_day < CAST($end AS DATE)
