-- quality/outside: the points of located records kept outside every grid (grid_code '')
--
-- Purpose: such rows belong to no jurisdiction prefix; the data-quality views count them
--   per region by the region outline their point lies in (dashboard/quality_data.py).
--   Same periods as quality/regions.sql.
-- Parameters: $start first time, inclusive (TIMESTAMP); $end bound, exclusive
-- Columns: lon, lat (DOUBLE); key persons have no point and are left out.
SELECT lon, lat FROM incidents
WHERE grid_code = '' AND reported_at >= $start AND reported_at < $end
UNION ALL
SELECT lon, lat FROM hazards
WHERE grid_code = '' AND found_at >= $start AND found_at < $end
