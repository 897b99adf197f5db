-- region/region: one region by its 12-digit statistical code
--
-- Purpose: tell whether a requested region exists and which level it is (a village's
--   children are grids, every other level's are regions), and give its outline for the
--   map's initial view (server side only; geometry never goes into a callback response).
-- Parameters:
--   $code  12-digit region code, e.g. 320600000000
-- Columns: code, short_code, level, name, geometry (WKB, EPSG:4326); zero or one row.
SELECT code, short_code, level, name, geometry
FROM regions
WHERE code = $code
