-- 022_item_rank_columns: open_items keeps its per-level ranks in one column per level
-- (rank_1 … rank_5, total_1 … total_5, feed_rank_1 … feed_rank_5, alarm_rank_1 …
-- alarm_rank_5) instead of four INTEGER[] lists per row (queries/overview/items_schema.sql):
-- a screen filters on its own level's column, which DuckDB scans as a plain integer
-- column; the lists were read whole for every row (at 100M, 880k rows, 10-15 ms a list of
-- a city screen's 30-50 ms statement, docs/overview.md). Derived data: the table is
-- dropped and the refill below creates and fills it again through the current refresh
-- code (dashboard/open_items.py refresh); no other table changes.
-- @refill open_items
DROP TABLE IF EXISTS open_items;
