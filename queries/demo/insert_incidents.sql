-- demo/insert_incidents: append a generated batch (registered as `batch`) to incidents,
-- deriving the case number and the handling department from the grid code and tier.
-- parameters: none (the batch is a registered relation)
-- columns of batch: the incidents columns except case_no and dept_code, plus
--   abbr (department kind abbreviation of the category) and dispatched (bool)
INSERT INTO incidents BY NAME
SELECT
    id,
    'NT' || strftime(reported_at, '%Y%m%d') || lpad(CAST(id AS VARCHAR), 10, '0') AS case_no,
    source, category_code, grid_code, lon, lat,
    reported_at, registered_at, dispatched_at, handled_at, verified_at, closed_at, deadline_at,
    status, is_void, rework_count, extended_hours, tier,
    CASE
        WHEN NOT dispatched THEN NULL
        WHEN tier = 'village' THEN 'D' || substr(grid_code, 1, 12) || '-CJ'
        WHEN tier = 'town' THEN 'D' || substr(grid_code, 1, 9) || '-' || abbr
        WHEN tier = 'county' THEN 'D' || substr(grid_code, 1, 6) || '-' || abbr
        ELSE 'D' || substr(grid_code, 1, 4) || '-' || abbr
    END AS dept_code,
    escalations, handled_online
FROM batch;
