-- demo/insert_hazards: append generated hazards (registered as `batch`), deriving the
-- hazard number and the responsible department.
-- parameters: none (the batch is a registered relation)
-- columns of batch: hazards columns except hazard_no and dept_code, plus tier and abbr
INSERT INTO hazards BY NAME
SELECT
    id,
    'YH' || strftime(found_at, '%Y%m%d') || lpad(CAST(id AS VARCHAR), 8, '0') AS hazard_no,
    type, risk_level, grid_code, lon, lat, source, found_at, deadline_at, rectified_at,
    'D' || CASE tier
        WHEN 'town' THEN substr(grid_code, 1, 9) || '-' || abbr
        ELSE substr(grid_code, 1, 6) || '-' || abbr
    END AS dept_code
FROM batch;
