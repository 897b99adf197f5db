-- summary/case_table_rows: the rows of the overview's case tables
--
-- Purpose: what dashboard/kpi/summaries.py refresh_case_tables returns after a key-wise or
--   additive refresh (the refills count their own rows).
-- Parameters: none.
-- Columns: case_window, open_cases, recent_cases (row counts).
SELECT (SELECT count(*) FROM case_window) AS case_window,
       (SELECT count(*) FROM open_cases) AS open_cases,
       (SELECT count(*) FROM recent_cases) AS recent_cases
