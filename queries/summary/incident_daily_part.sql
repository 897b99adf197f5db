-- summary/incident_daily_part: add the incident_daily rows of the grids in one range of codes
--
-- Purpose: the full refill of incident_daily as DuckDB runs it (dashboard/kpi/summaries.py,
--   refill_incident_daily): after one DELETE, one run per range of grid codes, the ranges
--   in ascending order and each run's rows in (grid_code, day) order, so the table ends
--   in that order as summary/incident_daily.sql leaves it (docs/schema.md, Clustering).
--   Each run groups the event rows of about summaries.PART_INCIDENTS cases only: one
--   GROUP BY over every case (23M groups at 10M incidents, 150M+ at 100M, 19 sums each)
--   spilled 70 GB and more to disk at 100M, where a part's groups fit in memory.
--   summary/incident_daily.sql stays the one-statement form (the Spark plan runs it;
--   the parity test compares the two).
-- Parameters: lo, hi (grid codes; a part holds lo <= grid_code < hi, NULL for no bound).
-- Columns: none.
INSERT INTO incident_daily (
    grid_code, day, category_code, source, tier, reported, void, registered, response_sec,
    escalated, dispatched, handled, closed, closed_ontime, closed_late, reworked, extended,
    online, handle_n, handle_sec, due, due_closed_ontime, close_sec, closed_nodl
)
WITH
    -- the part's cases: each of the six event branches scans incidents with the range
    -- (stored in report order, so it prunes no row group). Not materialised: DuckDB keeps
    -- a materialised CTE in memory, and even these 15 columns of 4M cases ran out of the
    -- build's 3 GB at 10M.
    incident_part AS NOT MATERIALIZED (
        SELECT grid_code, category_code, source, tier, is_void, escalations, rework_count,
               extended_hours, handled_online, reported_at, registered_at, dispatched_at,
               handled_at, closed_at, deadline_at
        FROM incidents
        WHERE ($lo IS NULL OR grid_code >= $lo) AND ($hi IS NULL OR grid_code < $hi)
    ),
    -- @include summary/incident_daily_rows rows=incident_part
SELECT * FROM daily
ORDER BY grid_code, day;
