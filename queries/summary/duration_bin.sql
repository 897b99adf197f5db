-- summary/duration_bin: the log bin of a duration in hours (an expression, not a query)
--
-- Purpose: included wherever a duration is put in its bin (queries/analysis/ranks_fill.sql
--   fills duration_ranks and duration_bins with it, queries/kpi/rank_edges.sql bins the
--   partial months' rows with it), so a value falls in the same bin on every path. 0
--   holds every duration under one minute (negative ones too); above it 64 bins per
--   factor e (each about 1.6% wide). Non-decreasing in hours: the k-th smallest duration
--   lies in the bin where the running count of the bins passes k.
-- Parameters: none. Reads a column named hours (DOUBLE).
CAST(CASE WHEN hours < 1.0 / 60 THEN 0 ELSE 1 + floor(ln(hours * 60.0) * 64) END AS INTEGER)
