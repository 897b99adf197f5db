-- theme/open_lights: the 时效 lights of the cases open now (included, not run on its own)
--
-- Purpose: the part of the 时效 page's time-limit lights that depends on now: the cases of
--   the cohort (reported in [$start, $end)) open now with a deadline, from open_case_keys,
--   under the case filters (theme/case_keys.sql): 超期 (past the deadline), 临期 (80–100 %
--   of the time limit used), 正常. Rows shaped as analysis/timeliness_rows.sql's.
-- Parameters: $start, $end, $now, and theme/case_keys.sql's.
-- Columns: facet ('light'), key, key2, bin, n, n_dl, ontime, hours_sum.
SELECT 'light' AS facet,
       CASE WHEN x.deadline_at < $now THEN '超期'
            WHEN epoch($now) - epoch(x.registered_at)
                 >= 0.8 * (epoch(x.deadline_at) - epoch(x.registered_at)) THEN '临期'
            ELSE '正常' END AS key,
       '' AS key2, NULL::SMALLINT AS bin, count(*) AS n, 0 AS n_dl, 0 AS ontime,
       0.0 AS hours_sum
FROM open_case_keys AS x
WHERE x.deadline_at IS NOT NULL AND x.reported_at >= $start AND x.reported_at < $end AND
  -- @include theme/case_keys
GROUP BY 2
