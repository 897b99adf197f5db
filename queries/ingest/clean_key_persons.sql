-- ingest/clean_key_persons: the good rows of a checked batch, for key_persons + key_person_pii
--
-- Purpose: gender and birth year come from the 居民身份证号 (digits 7-10 the year, digit
--   17 odd for men); the visit interval defaults by risk level as in the demo (低 30,
--   中 14, 高 7 days); the grid is given or assigned ('' outside every grid).
--   A row at a placeholder point (TEMP ingest_checked._pq, dashboard/ingest/quality.py)
--   does not take the grid under the point: its given grid code places it, else its
--   region code attributes it to that region (grid_code: the region's code padded with
--   zeros to 15 digits), else it is attributed to the whole area (the root region's code
--   padded). Key persons store no point; point_quality says where the grid came from (''
--   the source's point, grid_centre, placed_by_region, placeholder); _pq and _placed_len
--   feed the load log.
-- Parameters: none. Reads TEMP ingest_checked.
-- Columns: the key_persons columns without id, the key_person_pii columns without
--   person_id, plus _r, _line, _pq and _placed_len.
CREATE OR REPLACE TEMP TABLE ingest_clean AS
SELECT upper(c.id_number) AS id_number, c.name, coalesce(c.phone, '') AS phone,
       coalesce(c.address, '') AS address,
-- @include ingest/placed_grid
       AS grid_code,
       c.category, c.risk_level,
       CASE WHEN CAST(substr(c.id_number, 17, 1) AS INTEGER) % 2 = 1 THEN '男' ELSE '女' END
           AS gender,
       CAST(substr(c.id_number, 7, 4) AS INTEGER) AS birth_year,
       coalesce(c.visit_interval_days,
                CASE c.risk_level WHEN '高' THEN 7 WHEN '中' THEN 14 ELSE 30 END)
           AS visit_interval_days,
       c.registered_at, c.removed_at,
-- @include ingest/point_quality
       c._r, c._line
FROM ingest_checked AS c
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
