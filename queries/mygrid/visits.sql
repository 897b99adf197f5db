-- mygrid/visits: the key-person visits a grid worker has to make: due today or overdue
--
-- Purpose: 我的网格 (dashboard/mygrid_data.py). For each key person of the scope listed at
--   $now (registered by $now, not removed by $now), the newest scheduled visit due on or
--   before $today; it is a task when it was not made by $now: 'overdue' when its due date
--   is before $today, 'due' when it is $today. An older missed visit of a person whose
--   newer one is due (or made) is history, not a task. Personal fields are read here and
--   masked in Python (dashboard.privacy.masked) before anything leaves the server.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $now     the moment (TIMESTAMP, the store's wall time)
--   $today   the day of $now (DATE)
-- Columns: visit_id, person_id, grid_code, grid_name, village_name, category, risk_level,
--   gender, birth_year, due_date, kind, state ('overdue' | 'due'), days_late, name,
--   id_number, phone, address.
-- DuckDB-only: starts_with, QUALIFY.
WITH listed AS (
    SELECT p.id, p.grid_code, p.category, p.risk_level, p.gender, p.birth_year
    FROM key_persons AS p
    WHERE starts_with(p.grid_code, $prefix)
      AND p.registered_at <= $now
      AND (p.removed_at IS NULL OR p.removed_at > $now)
),
newest AS (
    SELECT v.id AS visit_id, v.person_id, v.due_date, v.visited_at, v.kind
    FROM visits AS v
    WHERE starts_with(v.grid_code, $prefix)
      AND v.due_date <= $today
    QUALIFY row_number() OVER (PARTITION BY v.person_id ORDER BY v.due_date DESC, v.id DESC) = 1
)
SELECT n.visit_id, p.id AS person_id, p.grid_code, g.name AS grid_name,
       r.name AS village_name, p.category, p.risk_level, p.gender, p.birth_year,
       n.due_date, n.kind,
       CASE WHEN n.due_date < $today THEN 'overdue' ELSE 'due' END AS state,
       date_diff('day', n.due_date, $today) AS days_late,
       k.name, k.id_number, k.phone, k.address
FROM newest AS n
JOIN listed AS p ON p.id = n.person_id
JOIN key_person_pii AS k ON k.person_id = p.id
LEFT JOIN grids AS g ON g.code = p.grid_code
LEFT JOIN regions AS r ON r.code = substr(p.grid_code, 1, 12)
WHERE n.visited_at IS NULL OR n.visited_at > $now
ORDER BY state DESC, n.due_date, CASE p.risk_level WHEN '高' THEN 0 WHEN '中' THEN 1 ELSE 2 END,
         p.id
