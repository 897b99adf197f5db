-- cases/csv_lines: the CSV lines of the rows of a CTE p shaped as cases/page's result
--
-- A block, not a query: included after "WITH p AS (...)," by cases/export_lines (p is
-- cases/page) and by tests/unit/test_export_lines.py (p is a table of awkward values).
-- Purpose: one text per row of p that is the row's CSV line, CRLF included, for the CSV
--   export (cases/export_lines). The bytes are those of Python's csv.writer (excel
--   dialect: ',' between cells, '"' quoting only where needed, quotes doubled, CRLF) over
--   the cells dashboard.exports.csv_pieces writes (tests/unit/test_export_lines.py):
--   - text (case number, category names, places, grid, tier, department): NULL as '';
--     control characters other than TAB, LF and CR as U+FFFD; a cell whose first
--     character after leading spaces, ideographic spaces and LFs is = + - @ TAB CR or
--     their full-width forms gets a leading apostrophe (dashboard.sheets.safe_text);
--   - times as 'YYYY-MM-DD HH:MM:SS', NULL as '';
--   - handle_hours as Python's repr(round(h, 2)): the double rounded to 2 decimals half
--     to even on its exact binary value (the error of h*100 is found exactly by Dekker's
--     product, so a tie or a near-tie is decided as Python decides it), written with at
--     least one decimal ('12.0', '0.05', '-0.0'); NULL as '';
--   - overdue as 是 or ''; rework_count as an integer.
--   Most rows need none of the text rules: their cells are joined once with U+E000 between
--   them, one regular expression over the joined text finds the rows that need a rule
--   (or hold U+E000 themselves: the count of separators tells), and only those rows are
--   made cell by cell.
-- Parameters:
--   $town, $village  BOOLEAN: whether the export has the town and the village column (a
--                    pass-through level of the store has none: dashboard.exports.header_of)
-- Columns: id, total (of p), line (VARCHAR, ending in CRLF), in p's order (its CTEs only
--   project, which DuckDB keeps in order).
-- DuckDB-only: lambda, regexp_matches, strlen, concat_ws skipping NULLs.
j AS (
    SELECT p.*,
           concat_ws(chr(57344),
                     coalesce(case_no, ''),
                     coalesce(strftime(reported_at, '%Y-%m-%d %H:%M:%S'), ''),
                     coalesce(major, ''), coalesce(category, ''), coalesce(source, ''),
                     coalesce(status, ''),
                     CASE WHEN $town THEN coalesce(town, '') END,
                     CASE WHEN $village THEN coalesce(village, '') END,
                     coalesce(grid, ''), coalesce(grid_code, ''), coalesce(tier, ''),
                     coalesce(department, ''),
                     coalesce(strftime(deadline_at, '%Y-%m-%d %H:%M:%S'), ''),
                     coalesce(strftime(closed_at, '%Y-%m-%d %H:%M:%S'), '')) AS joined,
           11 + CAST($town AS INTEGER) + CAST($village AS INTEGER) AS separators,
           -- handle_hours * 100 = hp + he exactly (Veltkamp split, Dekker's product)
           handle_hours * 100.0 AS hp,
           134217729.0 * handle_hours AS hc
    FROM p
),
h AS (
    SELECT j.*,
           (hc - (hc - handle_hours)) AS hh,
           floor(hp) AS hf
    FROM j
),
r AS (
    SELECT h.*,
           -- the sign of (hp + he) - (hf + 0.5), exact: which side of the half it lies
           sign((hp - hf - 0.5) + ((hh * 100.0 - hp) + (handle_hours - hh) * 100.0))
               AS side
    FROM h
),
n AS (
    SELECT r.*,
           CASE WHEN isfinite(hf) THEN  -- handle_hours is a difference of two times
               CAST(hf AS BIGINT) + CASE WHEN side > 0 THEN 1 WHEN side < 0 THEN 0
                                         WHEN abs(CAST(hf AS BIGINT)) % 2 = 0 THEN 0
                                         ELSE 1 END
           END AS cents,
           replace(joined, chr(57344), ',') AS plain
    FROM r
)
SELECT id, total, concat(
       CASE WHEN NOT regexp_matches(joined,
                 '[\x00-\x1f\x7f,"]|(^|\x{E000})[ \n　]*[=+\-@＝＋－＠]')
                 AND strlen(joined) - strlen(plain) = 2 * separators
            THEN plain
            ELSE array_to_string(list_transform(list_transform(list_transform(
                [coalesce(case_no, ''),
                 coalesce(strftime(reported_at, '%Y-%m-%d %H:%M:%S'), ''),
                 coalesce(major, ''), coalesce(category, ''), coalesce(source, ''),
                 coalesce(status, '')]
                || CASE WHEN $town THEN [coalesce(town, '')] ELSE [] END
                || CASE WHEN $village THEN [coalesce(village, '')] ELSE [] END
                || [coalesce(grid, ''), coalesce(grid_code, ''), coalesce(tier, ''),
                    coalesce(department, ''),
                    coalesce(strftime(deadline_at, '%Y-%m-%d %H:%M:%S'), ''),
                    coalesce(strftime(closed_at, '%Y-%m-%d %H:%M:%S'), '')],
                lambda x: CASE WHEN regexp_matches(x, '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')
                               THEN regexp_replace(x, '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]',
                                                   '�', 'g')
                               ELSE x END),
                lambda y: CASE WHEN regexp_matches(y, '^[ \n　]*[=+\-@\t\r＝＋－＠]')
                               THEN '''' || y ELSE y END),
                lambda z: CASE WHEN regexp_matches(z, '[,"\r\n]')
                               THEN '"' || replace(z, '"', '""') || '"' ELSE z END), ',')
       END, ',',
       CASE WHEN cents IS NOT NULL THEN concat(
           CASE WHEN cents < 0 OR (cents = 0 AND signbit(handle_hours)) THEN '-' END,
           abs(cents) // 100, '.',
           CASE WHEN abs(cents) % 10 = 0 THEN CAST(abs(cents) % 100 // 10 AS VARCHAR)
                ELSE lpad(CAST(abs(cents) % 100 AS VARCHAR), 2, '0') END) END, ',',
       CASE WHEN overdue THEN '是' END, ',',
       rework_count, chr(13), chr(10)) AS line
FROM n
