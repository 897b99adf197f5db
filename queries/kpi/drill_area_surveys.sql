-- kpi/drill_area_surveys: drill-through rows of area_surveys behind KPI numerators and
-- denominators
--
-- Purpose: as kpi_drill_surveys, for 群众满意度测评: one row per answer in scope (its area
--   code starts with the scope's prefix) surveyed in the period, with one boolean flag per
--   engine measure of the area_survey family.
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(area_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: id (area_surveys.id, BIGINT), then BOOLEAN flags answers, rated, satisfied_any;
--   ordered by id.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT a.id,
       TRUE AS answers,
       a.rating IS NOT NULL AS rated,
       coalesce(a.rating IN ('满意', '基本满意'), FALSE) AS satisfied_any
FROM area_surveys AS a
WHERE starts_with(a.area_code, $prefix)
  AND a.surveyed_at >= $start
  AND a.surveyed_at < $end
ORDER BY a.id
