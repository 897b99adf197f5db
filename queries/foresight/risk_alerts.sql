-- foresight/risk_alerts: the overview alert list's 超期风险 items: stored at-risk scores
-- (foresight_scores, kind 'risk') of the region $prefix with probability ≥ $threshold,
-- scored at or before the moment $now shown and still before their deadline then; the
-- most likely first, at most $n, each with the kind's total. Columns as
-- overview/alerts.sql (kind 'at_risk'; `at` is the deadline, `title` the 小类), plus
-- minor_en (the 小类's English name) and probability: the caller words the title per
-- language (dashboard/foresight/explain.py risk_title).
WITH items AS (
    SELECT s.case_id AS id, s.case_no AS ref, s.deadline_at AS due_at,
           coalesce(c.minor_name, s.category_code) AS title, c.name_en AS minor_en,
           s.grid_code, i.lon, i.lat, s.probability
    FROM foresight_scores AS s
    LEFT JOIN categories AS c ON c.code = s.category_code
    LEFT JOIN incidents AS i ON i.id = s.case_id
    WHERE s.kind = 'risk'
      AND starts_with(s.grid_code, $prefix)
      AND s.probability >= $threshold
      AND s.asof_at <= $now
      AND s.deadline_at > $now
),
ranked AS (
    SELECT *, count(*) OVER () AS total,
           row_number() OVER (ORDER BY probability DESC, due_at, id) AS rn
    FROM items
)
SELECT 'at_risk' AS kind, r.total, r.id, r.ref, r.due_at AS at, r.title, r.grid_code,
       v.name AS village, v.code AS village_code, r.lon, r.lat, FALSE AS critical,
       r.minor_en, r.probability
FROM ranked AS r
JOIN grids AS g ON g.code = r.grid_code
JOIN regions AS v ON v.code = g.village_code
WHERE r.rn <= $n
ORDER BY r.rn
