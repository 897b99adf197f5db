-- ingest/macros: TEMP macros the import rules use (dashboard/ingest/kinds.py)
--
-- Purpose: ingest_id_number_ok(s) is true for an 18-character 居民身份证号 whose last
--   character is the ISO 7064 MOD 11-2 check digit of the first 17 (GB 11643-1999).
-- Parameters: none.
-- Columns: none.
-- DuckDB-only: TEMP MACRO, list lambdas (Spark: a UDF or aggregate over posexplode).
CREATE OR REPLACE TEMP MACRO ingest_id_number_ok(s) AS
    coalesce(regexp_full_match(s, '[0-9]{17}[0-9Xx]'), false)
    AND upper(substr(s, 18, 1)) = substr('10X98765432', CAST(1 + list_sum(list_transform(
        range(17),
        lambda i: coalesce(TRY_CAST(substr(s, i + 1, 1) AS INTEGER), 0)
             * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i + 1])) % 11 AS BIGINT), 1);
