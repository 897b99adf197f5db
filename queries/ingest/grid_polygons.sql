-- ingest/grid_polygons: every grid's code and polygon, for point-in-polygon assignment
--
-- Purpose: dashboard/ingest/spatial.py builds its index from these rows.
-- Parameters: none.
-- Columns: code, geometry (WKB, EPSG:4326).
SELECT code, geometry FROM grids ORDER BY code;
