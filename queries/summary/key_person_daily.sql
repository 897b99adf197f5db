-- summary/key_person_daily: refill key_person_daily (重点人群 listings per grid x day x category)
--
-- Purpose: the number of listed key persons at any day's end is the running sum of
--   listed - removed; no personal data is involved (key_person_pii is never read).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in grid_code, day
--   order so a grid prefix prunes row groups: docs/schema.md, Clustering).
DELETE FROM key_person_daily;

INSERT INTO key_person_daily (grid_code, day, category, risk_level, listed, removed)
WITH events AS (
    SELECT grid_code, CAST(registered_at AS DATE) AS day, category, risk_level,
           1 AS listed, 0 AS removed
    FROM key_persons
    UNION ALL
    SELECT grid_code, CAST(removed_at AS DATE), category, risk_level, 0, 1
    FROM key_persons
    WHERE removed_at IS NOT NULL
)
SELECT grid_code, day, category, risk_level, sum(listed), sum(removed)
FROM events
GROUP BY grid_code, day, category, risk_level
ORDER BY grid_code, day, category, risk_level;

SELECT count(*) AS row_count FROM key_person_daily;
