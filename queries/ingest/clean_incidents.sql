-- ingest/clean_incidents: the good rows of a checked batch in the shape of `incidents`
--
-- Purpose: fill what an upstream export may leave out: the grid (given, or assigned by
--   point-in-polygon, '' when no grid contains the point), the point (the grid's centre
--   when only a grid code was given), deadline_at (立案 + the row's own limit in days,
--   deadline_days, else the category's limit, + 延期),
--   status (from the furthest lifecycle stage reached), and the counters (0).
--   A row at a placeholder point (TEMP ingest_checked._pq, dashboard/ingest/quality.py)
--   does not take the grid under the point: its given grid code places it (point: the
--   grid's label point), else its region code attributes it to that region (grid_code:
--   the region's code padded with zeros to 15 digits; point: the region's representative
--   point), else it is attributed to the whole area (the root region's code padded; the
--   placeholder point kept). point_quality says which ('' the source's point,
--   grid_centre, placed_by_region, placeholder); _pq and _placed_len feed the load log.
-- Parameters: none. Reads TEMP ingest_checked (dashboard/ingest/validate.py).
-- Columns: the incidents columns without id, plus _r and _line (position in the file),
--   _pq (placeholder point key or NULL) and _placed_len (code length it was placed by).
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT c.case_no, c.source, c.category_code,
-- @include ingest/placed_grid
       AS grid_code,
-- @include ingest/placed_point
       c.reported_at, c.registered_at, c.dispatched_at, c.handled_at, c.verified_at,
       c.closed_at,
       coalesce(c.deadline_at,
                c.registered_at + to_microseconds(CAST(round(c.deadline_days * 86400e6)
                                                       AS BIGINT))
                + to_hours(coalesce(c.extended_hours, 0)),
                c.registered_at
                + to_hours(cat.deadline_hours + coalesce(c.extended_hours, 0))) AS deadline_at,
       coalesce(c.status, CASE
           WHEN coalesce(c.is_void, false) THEN '已作废'
           WHEN c.closed_at IS NOT NULL THEN '已结案'
           WHEN c.verified_at IS NOT NULL THEN '待结案'
           WHEN c.handled_at IS NOT NULL THEN '待核查'
           WHEN c.dispatched_at IS NOT NULL THEN '处置中'
           WHEN c.registered_at IS NOT NULL THEN '已立案'
           ELSE '待立案' END) AS status,
       coalesce(c.is_void, false) AS is_void,
       coalesce(c.rework_count, 0) AS rework_count,
       coalesce(c.extended_hours, 0) AS extended_hours,
       coalesce(c.tier, 'village') AS tier,
       c.dept_code,
       coalesce(c.escalations, 0) AS escalations,
       coalesce(c.handled_online, false) AS handled_online,
-- @include ingest/point_quality
       c._r, c._line
FROM ingest_checked AS c
JOIN categories AS cat ON cat.code = c.category_code
LEFT JOIN grids AS g ON g.code = c.grid_code
-- a region by its code or its short code (one arm each: an equality join, where the OR of
-- both was a nested-loop join over every row of the batch; a region whose short code is its
-- code comes once, as before)
LEFT JOIN (SELECT code AS region_key, short_code, parent_code, lon, lat FROM regions
           UNION ALL
           SELECT short_code, short_code, parent_code, lon, lat FROM regions
           WHERE short_code IS DISTINCT FROM code) AS r
    ON r.region_key = CASE WHEN c._pq IS NOT NULL AND c.grid_code IS NULL
                           THEN c.region_code END
WHERE c._rule IS NULL;
