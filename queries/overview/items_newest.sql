-- overview/items_newest: the store's newest event time (open_items_asof.valid_from)
--
-- Purpose: the moment from which open_items answers (queries/overview/items_schema.sql):
--   the latest of every case's lifecycle times, every hazard found or rectified and every
--   sensor alert raised or handled. Read first by dashboard/open_items.py refresh, which
--   binds it into overview/items_fill.sql (a bound constant lets the refill's scans of
--   incidents skip row groups by their zone maps). Cheap: DuckDB answers max() of a
--   column from its statistics where it can.
-- Parameters: none.
-- Columns: valid_from (TIMESTAMP; NULL for an empty store); one row.
SELECT greatest(
    (SELECT greatest(max(reported_at), max(registered_at), max(dispatched_at),
                     max(handled_at), max(verified_at), max(closed_at)) FROM incidents),
    (SELECT greatest(max(found_at), max(rectified_at)) FROM hazards),
    (SELECT greatest(max(alerted_at), max(handled_at)) FROM sensor_alerts)) AS valid_from
