-- mygrid/village_grids: how many grids a village has (the divisor of a per-grid average)
--
-- Purpose: 我的网格 (dashboard/mygrid_data.py): the village average of a count is the
--   village's total over its grids.
-- Parameters:
--   $village  the village's 12-digit short code
-- Columns: n (BIGINT).
SELECT count(*) AS n FROM grids WHERE village_code = $village
