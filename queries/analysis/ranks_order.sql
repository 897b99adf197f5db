-- analysis/ranks_order: the order duration_ranks' rows are written in (a block, not a
-- query)
--
-- Purpose: included by analysis/ranks_fill.sql (a full or bounded refill) and
--   analysis/ranks_add.sql (an insert-only batch), so both append rows in one order.
-- The sort keys are integers: the measure by its (alphabetical) position, then bin and
--   month; county is no key. At 10M (28.8M rows) the insert took 44-50 s sorted by
--   (measure, bin, county, month), of which the sort 37-42 s (7.4 s unsorted), and 11.8 s
--   with these keys: each VARCHAR key cost about 13-20 s. A bin of one measure holds
--   about 10k rows at 10M (a row group is 122,880), so zone maps on (measure, bin, month)
--   prune as before: kpi/rank_values.sql read in the same time both ways (docs/analysis.md).
-- Parameters: none. Columns: those of duration_ranks (measure, bin, month are read).
ORDER BY CASE measure WHEN 'close' THEN 0 WHEN 'handle' THEN 1 WHEN 'response' THEN 2 END,
         bin, month
