-- analysis/new_cases: the cases an insert-only import batch added
--
-- Purpose: the additive refresh of the analysis read tables (dashboard/kpi/summaries.py
--   refresh_analysis_additive): a batch that only inserted cases changes no stored row of
--   them, it adds its new cases' rows (queries/analysis/fill.sql, cases=analysis_cases).
-- Parameters: none. Reads TEMP ingest_diff (dashboard/ingest/load.py).
--   Their hand-offs and stays are first written to empty TEMP tables of the stored
--   tables' columns (analysis/fill.sql with handoffs=analysis_handoffs_new,
--   stays=analysis_stays_new), then appended (analysis/new_append.sql).
-- Columns: none (creates the TEMP view analysis_cases and the two TEMP tables).
CREATE OR REPLACE TEMP VIEW analysis_cases AS
SELECT i.* FROM incidents AS i
SEMI JOIN ingest_diff AS d ON d.case_no = i.case_no AND d.op = 'insert';

CREATE OR REPLACE TEMP TABLE analysis_handoffs_new AS FROM handoff_daily LIMIT 0;

CREATE OR REPLACE TEMP TABLE analysis_stays_new AS FROM closure_stays LIMIT 0;
