-- kpi/area_survey_series: 群众满意度测评 measures per region and day, from area_survey_daily
--
-- Purpose: the KPI engine's input for the area_survey family (dashboard/kpi/engine.py), for
--   every scope level (these answers are not in the region rollups). An answer belongs to
--   its area: a grid, a village, or a region above. It counts for every scope whose prefix
--   its area code starts with, and as a sub-region only at levels at or above its own
--   (an answer about a town is in no village). Flows only.
-- Parameters:
--   $prefix     scope region short code (4/6/9/12/15 digits, validated by Scope)
--   $level_len  length of the region key: len($prefix) for the scope itself, or 6/9/12/15
--               for its counties/towns/villages/grids (from a whitelist in the engine)
--   $date_from  first day of the period (DATE, Asia/Shanghai)
--   $date_to    last day of the period, inclusive (DATE)
-- Columns: region (first $level_len digits of area_code), day (DATE), answers, rated,
--   satisfied_any (满意 + 基本满意) (BIGINT)
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT substr(area_code, 1, $level_len) AS region, day,
       sum(answers) AS answers, sum(rated) AS rated,
       sum(satisfied + basic_satisfied) AS satisfied_any
FROM area_survey_daily
WHERE starts_with(area_code, $prefix)
  AND length(area_code) >= $level_len
  AND day >= $date_from
  AND day <= $date_to
GROUP BY substr(area_code, 1, $level_len), day
