-- analysis/new_cases: the cases an insert-only import batch added
--
-- Purpose: the additive refresh of the analysis read tables (dashboard/kpi/summaries.py
--   refresh_analysis_additive): a batch that only inserted cases changes no stored row of
--   them, it adds its new cases' rows (queries/analysis/fill.sql, cases=analysis_cases).
-- Parameters: none. Reads TEMP ingest_diff (dashboard/ingest/load.py).
-- Columns: none (creates the TEMP view analysis_cases).
CREATE OR REPLACE TEMP VIEW analysis_cases AS
SELECT i.* FROM incidents AS i
SEMI JOIN ingest_diff AS d ON d.case_no = i.case_no AND d.op = 'insert';
