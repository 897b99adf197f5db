-- demo/insert_escalations: append generated hand-offs (registered as `batch`), naming the
-- departments at each tier from the grid code.
-- parameters: none (the batch is a registered relation)
-- columns of batch: incident_id, seq, escalated_at, from_tier, to_tier, grid_code, from_abbr,
--   to_abbr, kind
INSERT INTO escalations
SELECT
    incident_id, seq, escalated_at, from_tier, to_tier,
    'D' || CASE from_tier
        WHEN 'village' THEN substr(grid_code, 1, 12) || '-CJ'
        WHEN 'town' THEN substr(grid_code, 1, 9) || '-' || from_abbr
        WHEN 'county' THEN substr(grid_code, 1, 6) || '-' || from_abbr
        ELSE substr(grid_code, 1, 4) || '-' || from_abbr
    END AS from_dept,
    'D' || CASE to_tier
        WHEN 'village' THEN substr(grid_code, 1, 12) || '-CJ'
        WHEN 'town' THEN substr(grid_code, 1, 9) || '-' || to_abbr
        WHEN 'county' THEN substr(grid_code, 1, 6) || '-' || to_abbr
        ELSE substr(grid_code, 1, 4) || '-' || to_abbr
    END AS to_dept,
    kind
FROM batch;
