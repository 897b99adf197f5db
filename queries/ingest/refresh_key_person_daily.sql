-- ingest/refresh_key_person_daily: recompute the key_person_daily rows of the (grid, day) keys a load touched
--
-- Purpose: the incremental form of queries/summary/key_person_daily.sql (same expressions, same
--   event-day attribution): the rows of the keys in TEMP ingest_touched (kind
--   'key_persons') are deleted and recomputed from the key_persons of those grids, so
--   the table equals a full refresh (tests/unit/test_ingest_summaries.py checks it).
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
-- @include ingest/refresh_keys kind=key_persons table=key_person_daily


INSERT INTO key_person_daily (grid_code, day, category, risk_level, listed, removed)
WITH events AS (
    SELECT grid_code, CAST(registered_at AS DATE) AS day, category, risk_level,
           1 AS listed, 0 AS removed
    FROM key_persons
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys)
    UNION ALL
    SELECT grid_code, CAST(removed_at AS DATE), category, risk_level, 0, 1
    FROM key_persons
    WHERE grid_code IN (SELECT grid_code FROM ingest_keys) AND removed_at IS NOT NULL
)
SELECT grid_code, day, category, risk_level, sum(listed), sum(removed)
FROM events
SEMI JOIN ingest_keys AS k ON k.grid_code = events.grid_code AND k.day = events.day
GROUP BY grid_code, day, category, risk_level
ORDER BY day, grid_code, category, risk_level;
