-- theme/linkage_pending: the 四级联动 page's 在办 panel (included, not run on its own)
--
-- Purpose: cases open now (registered, not closed, not voided) by the tier holding them,
--   of the cases the filters select reported before the period end, from open_case_keys
--   (every open case with its keys, refilled with the period tables) instead of a scan of
--   incidents. Assumes no stored time is after now, as the period tables do.
-- Parameters: $p_end, $now, and theme/case_keys.sql's.
-- Columns: key (tier), n.
SELECT x.tier AS key, count(*) AS n
FROM open_case_keys AS x
WHERE x.registered_at <= $now AND x.reported_at < $p_end AND
  -- @include theme/case_keys
GROUP BY 1
