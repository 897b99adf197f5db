-- analysis/new_append: append an insert-only batch's hand-offs and stays
--
-- Purpose: after queries/analysis/fill.sql wrote the new cases' rows to the TEMP tables
--   of queries/analysis/new_cases.sql, add them to handoff_daily and closure_stays (the
--   TEMP tables stay for the period tables' additive step, analysis/period_add.sql, and
--   are replaced by the next batch).
-- Parameters: none.
-- Columns: none.
INSERT INTO handoff_daily FROM analysis_handoffs_new;

INSERT INTO closure_stays FROM analysis_stays_new;
