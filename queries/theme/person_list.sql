-- theme/person_list: the filtered key persons with their personal fields, for masking
--
-- Purpose: the 重点人群 page's person list, shown only to roles with clearance and always
--   masked in Python (dashboard.privacy.masked) before it leaves the server; persons with a
--   missed visit in the period first. Every call is audited by the caller.
-- Parameters: $prefix, $end, $grids, $cats as in persons_filtered; $start, $today as in
--   theme_person_facets; $limit rows
-- Columns: id, grid_code, grid_name, village_name, category, risk_level, gender,
--   birth_year, name, id_number, phone, address, missed (BIGINT), last_visit (TIMESTAMP).
-- DuckDB-only: starts_with, list_contains.
WITH p AS (
    -- @include persons/filtered
),
v AS (
    SELECT person_id,
           count(*) FILTER (WHERE visited_at IS NULL AND due_date < $today
                              AND due_date >= CAST($start AS DATE)
                              AND due_date < CAST($end AS DATE)) AS missed,
           max(visited_at) AS last_visit
    FROM visits
    WHERE starts_with(grid_code, $prefix) AND person_id IN (SELECT id FROM p)
    GROUP BY person_id
)
SELECT p.id, p.grid_code, g.name AS grid_name, r.name AS village_name, p.category,
       p.risk_level, p.gender, p.birth_year, k.name, k.id_number, k.phone, k.address,
       coalesce(v.missed, 0) AS missed, v.last_visit
FROM p
JOIN key_person_pii AS k ON k.person_id = p.id
LEFT JOIN grids AS g ON g.code = p.grid_code
LEFT JOIN regions AS r ON r.code = substr(p.grid_code, 1, 12)
LEFT JOIN v ON v.person_id = p.id
ORDER BY coalesce(v.missed, 0) DESC, p.risk_level = '高' DESC, p.id
LIMIT $limit
