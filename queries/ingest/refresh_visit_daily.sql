-- ingest/refresh_visit_daily: recompute the visit_daily rows of the (grid, day) keys a load touched
--
-- Purpose: the incremental form of queries/summary/visit_daily.sql (same expressions): the
--   rows of the keys in TEMP ingest_touched (kind 'visits') are deleted and recomputed
--   from the visits of those grids and due days, so the table equals a full refresh
--   (tests/unit/test_ingest_summaries.py checks it).
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
-- @include ingest/refresh_keys kind=visits table=visit_daily

INSERT INTO visit_daily (grid_code, day, kind, due, visited, visited_ontime)
SELECT v.grid_code, v.due_date AS day, v.kind,
       count(*),
       sum(CASE WHEN v.visited_at IS NOT NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN CAST(v.visited_at AS DATE) <= v.due_date THEN 1 ELSE 0 END)
FROM visits AS v
SEMI JOIN ingest_keys AS k ON k.grid_code = v.grid_code AND k.day = v.due_date
GROUP BY v.grid_code, v.due_date, v.kind
ORDER BY day, v.grid_code, v.kind;
