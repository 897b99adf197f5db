-- analysis/ranks_schema: the KPI strip's exact medians over whole months (migration 018)
--
-- Purpose: the engine's quantile KPIs (median and P90 of 上报 → 立案, 立案 → 处置,
--   上报 → 结案; dashboard/kpi/engine.py _quantiles) of a city or a county for a period
--   holding whole months rank these instead of every raw row of the period:
--   duration_bins counts, per measure, county, month and log bin (summary/duration_bin.sql),
--   the durations of the rows the matching mean averages (those of
--   kpi/incident_quantiles.sql, under their registration or closing month), so the bin
--   holding the k-th smallest duration of any set of whole months is found by adding
--   counts; duration_ranks holds the durations themselves in (measure, bin, month)
--   order, so the durations of one bin are read alone (zone maps: one or two row groups)
--   and the k-th taken exactly among them. The partial months come from the raw rows
--   (kpi/rank_edges.sql). The same doubles as kpi/incident_quantiles.sql, so the same
--   quantiles (tested). Derived data: refilled per county from a month on by
--   dashboard/kpi/summaries.py refresh_duration_ranks (queries/analysis/ranks_fill.sql)
--   whenever the analysis read tables change.
-- Parameters: none.
-- Columns: none (creates the tables).
CREATE TABLE IF NOT EXISTS duration_ranks (
    measure VARCHAR NOT NULL,  -- response | handle | close
    bin     INTEGER NOT NULL,  -- summary/duration_bin.sql of hours
    county  VARCHAR NOT NULL,  -- left(grid_code, 6)
    month   DATE NOT NULL,     -- first day of the registration (response) or closing month
    hours   DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS duration_bins (
    measure VARCHAR NOT NULL,
    month   DATE NOT NULL,
    county  VARCHAR NOT NULL,
    bin     INTEGER NOT NULL,
    n       BIGINT NOT NULL    -- rows of duration_ranks with these keys
);
