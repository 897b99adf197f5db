-- overview/items_asof: from which moment open_items answers the case panels
--
-- Purpose: the overview reads open_items (queries/overview/panel_items.sql) for a moment at
--   or after this one and the case tables and raw tables before it. No parameter, so the
--   result cache keeps it per store version (a refill changes the version).
-- Parameters: none.
-- Columns: valid_from (TIMESTAMP; NULL for an empty store: never answers); one row.
SELECT max(valid_from) AS valid_from FROM open_items_asof
