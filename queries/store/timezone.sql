-- store/timezone: the store's own time zone (meta timezone)
--
-- Purpose: dashboard/clock.py store_zone: every callback reads the store's "now" in the
--   zone its times are written in (docs/ingest.md, time zones). Through queries.run, so a
--   request reads it once per store version (the result cache).
-- Parameters: none.
-- Columns: value (IANA zone name; no row on a store written before the setting existed).
SELECT value FROM meta WHERE key = 'timezone'
