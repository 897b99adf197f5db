-- foresight/surge_alerts: the overview alert list's 异常预警 items: stored surge alerts
-- (foresight_scores, kind 'surge') of the region $prefix found by a run at or before the
-- moment $now shown, for a day no more than two days before it; the strongest first (the
-- smallest q-value), at most $n, each with the kind's total. Columns as
-- overview/alerts.sql (kind 'surge'; `at` the day, `title` the evidence, `village` and
-- `village_code` the alert's region, where a kiosk jumps; `title` the stored Chinese
-- evidence), plus q_value, observed, baseline_per_day, window_days and parts (the stored
-- reason_parts, NULL in rows from before migration 020: the caller words the title per
-- language from them, dashboard/foresight/explain.py).
WITH items AS (
    SELECT s.grid_code, s.category_code, s.day, s.reasons, s.reason_parts, s.q_value,
           s.observed,
           s.baseline_per_day, s.window_days
    FROM foresight_scores AS s
    WHERE s.kind = 'surge'
      AND starts_with(s.grid_code, $prefix)
      AND s.asof_at <= $now
      AND s.day >= CAST($now AS DATE) - 2
),
ranked AS (
    SELECT *, count(*) OVER () AS total,
           row_number() OVER (ORDER BY q_value, observed DESC, grid_code, category_code)
               AS rn
    FROM items
)
SELECT 'surge' AS kind, r.total, r.rn AS id, r.grid_code || ':' || r.category_code AS ref,
       CAST(r.day AS TIMESTAMP) AS at, r.reasons AS title, r.grid_code,
       coalesce(g.name, r.grid_code) AS village, coalesce(g.code, r.grid_code) AS village_code,
       CAST(NULL AS DOUBLE) AS lon, CAST(NULL AS DOUBLE) AS lat, FALSE AS critical,
       r.q_value, r.observed, r.baseline_per_day, r.window_days, r.reason_parts AS parts
FROM ranked AS r
LEFT JOIN regions AS g ON g.short_code = r.grid_code
WHERE r.rn <= $n
ORDER BY r.rn
