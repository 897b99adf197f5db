-- overview/items_update: bring open_items up to date after an import batch, in place
--
-- Purpose: the incremental form of overview/items_fill.sql (dashboard/open_items.py
--   update), to the same rows. Which rows can have changed:
--     cases     those in TEMP items_cases (the cases a batch inserted or changed:
--               overview/items_batch_cases.sql, or every case of the grids a deferred load
--               touched: overview/items_touched.sql), and, anywhere, the cases the feed's
--               week left when valid_from moved on (reported before $valid_from - 7 days:
--               dropped, or kept unlisted while still an alert candidate);
--     hazards, sensor alerts  with {{others}} true (a hazards batch), all of them,
--               compared with the raw rows (a few thousand at 10M incidents: cheaper than
--               tracking them); false (a batch of cases only) leaves them (no import
--               writes sensor alerts; only the demo build, which refills).
--   For those the rows as overview/items_rows.sql defines them now (items_fresh) are
--   compared with the stored ones (items_stored), column by column: a stored row that
--   differs or is gone is deleted, a new or changed one inserted, its per-level ranks
--   NULL until overview/items_rank.sql ranks again the lists that gained or lost a row.
--   The caller binds a $valid_from not earlier than the stored one
--   (else it refills: the feed's week would have to grow back).
-- @slot cases: items_incidents
-- @slot others: true false
-- Parameters:
--   $valid_from  the store's newest event now (overview/items_newest.sql)
--   Reads TEMP items_cases (id). Runs inside the caller's transaction.
-- Columns: none (a script; leaves TEMP items_incidents (a view), items_fresh,
--   items_stored, items_gone and items_new for overview/items_rank.sql and the caller).
UPDATE open_items_asof SET valid_from = CAST($valid_from AS TIMESTAMP);

CREATE OR REPLACE TEMP VIEW items_incidents AS
SELECT * FROM incidents WHERE id IN (SELECT id FROM items_cases);

CREATE OR REPLACE TEMP TABLE items_fresh AS
WITH
-- @include overview/items_rows
fresh AS (
    SELECT kind, id, ref, title, major, source, status, is_void, grid_code, grid,
           village_code, village, town_code, town, county_code, county, lon, lat,
           reported_at, start_at, due_at, warn_at, urgency, alerting, listed, critical
    FROM placed
)
SELECT * FROM fresh;

-- the stored rows of those items, and the cases the feed's week left (valid_from moved on)
CREATE OR REPLACE TEMP TABLE items_stored AS
SELECT kind, id, ref, title, major, source, status, is_void, grid_code, grid, village_code,
       village, town_code, town, county_code, county, lon, lat, reported_at, start_at,
       due_at, warn_at, urgency, alerting, listed, critical
FROM open_items
WHERE (kind <> 'case' AND {{others}})
   OR (kind = 'case' AND id IN (SELECT id FROM items_cases))
   OR (reported_at < CAST($valid_from AS TIMESTAMP) - INTERVAL 7 DAY
       AND (listed OR NOT alerting));

-- those left the week: an alert candidate stays, unlisted
INSERT INTO items_fresh
SELECT kind, id, ref, title, major, source, status, is_void, grid_code, grid, village_code,
       village, town_code, town, county_code, county, lon, lat, reported_at, start_at,
       due_at, warn_at, urgency, alerting, FALSE, critical
FROM items_stored
WHERE kind = 'case'
  AND alerting
  AND id NOT IN (SELECT id FROM items_cases);

CREATE OR REPLACE TEMP TABLE items_gone AS
SELECT * FROM items_stored EXCEPT SELECT * FROM items_fresh;

CREATE OR REPLACE TEMP TABLE items_new AS
SELECT * FROM items_fresh EXCEPT SELECT * FROM items_stored;

DELETE FROM open_items AS o
USING items_gone AS g
WHERE o.kind = g.kind AND o.id = g.id;

-- the per-level ranks NULL (as a refill leaves a row without a rank) until items_rank.sql
INSERT INTO open_items BY NAME
SELECT * FROM items_new;
