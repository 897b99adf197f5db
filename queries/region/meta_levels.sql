-- region/meta_levels: the store's level mapping (dashboard/levels.py)
--
-- Purpose: which of the five code slots a store shows and what it calls them; written by
--   `gridcmd import boundaries`, absent in the demo store (the national levels).
-- Parameters: none.
-- Columns: value (JSON slot length → name, null for a pass-through slot; or the older
--   comma list of names); zero or one row.
SELECT value FROM meta WHERE key = 'levels'
