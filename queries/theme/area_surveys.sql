-- theme/area_surveys: 群众满意度测评 answers of a region and period, by map unit,
-- respondent group and rating
--
-- Purpose: the 满意度 page's survey panels. Like the registry's 群众满意度(测评口径) and
--   测评样本数, an answer counts for the region its area code lies in (region and period
--   only: the case filters do not apply to answers tied to no case). An answer about an
--   area above the map's units (a town's answers on a map of its villages) counts in the
--   group and rating facets but in no unit: it cannot be split.
-- Parameters:
--   $prefix    scope short code (validated by Scope); starts_with(area_code, $prefix)
--   $start     period start, inclusive (TIMESTAMP)
--   $end       period end, exclusive (TIMESTAMP)
--   $unit_len  map unit key length (6/9/12/15)
-- Columns: facet ('unit' | 'group' | 'rating'), key, answers, rated (a rating given),
--   satisfied (满意 or 基本满意), unsatisfied (不满意).
-- DuckDB-only: starts_with, GROUPING SETS.
WITH a AS (
    SELECT CASE WHEN length(area_code) >= $unit_len THEN substr(area_code, 1, $unit_len)
           END AS unit,
           coalesce(respondent_group, '') AS grp,
           coalesce(rating, '未评价') AS rating,
           rating IS NOT NULL AS rated, rating IN ('满意', '基本满意') AS satisfied,
           rating = '不满意' AS unsatisfied
    FROM area_surveys
    WHERE starts_with(area_code, $prefix)
      AND surveyed_at >= $start AND surveyed_at < $end
)
SELECT facet, key, answers, rated, satisfied, unsatisfied
FROM (
    SELECT CASE WHEN grouping(unit) = 0 THEN 'unit' WHEN grouping(grp) = 0 THEN 'group'
                ELSE 'rating' END AS facet,
           coalesce(unit, grp, rating) AS key,
           count(*) AS answers, count(*) FILTER (WHERE rated) AS rated,
           count(*) FILTER (WHERE satisfied) AS satisfied,
           count(*) FILTER (WHERE unsatisfied) AS unsatisfied
    FROM a
    GROUP BY GROUPING SETS ((unit), (grp), (rating))
)
WHERE NOT (facet = 'unit' AND key IS NULL)
ORDER BY facet, key
