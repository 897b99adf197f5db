-- cases/export_lines: the CSV export's lines of the filtered cases, made by DuckDB
--
-- Purpose: the CSV export (/export/cases.csv) of exactly the rows of cases/page, every row
--   ($limit NULL, $offset 0), as cases/csv_lines makes them: one text per row that is the
--   row's CSV line, so the server copies the lines' bytes into the file without a Python
--   value per cell (a city's 30-day export at 100M is 2.8M rows; formatted in Python, at
--   about 15 µs a row, it held a worker for 40 s).
-- Parameters: those of cases/page, and those of cases/csv_lines ($town, $village).
-- Columns: id, total, line (cases/csv_lines), in cases/page's order.
-- DuckDB-only: as its two blocks.
WITH p AS (
    -- @include cases/page
),
-- @include cases/csv_lines
