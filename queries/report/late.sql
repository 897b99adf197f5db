-- report/late: records of a report's period that arrived (or changed) after its as-of moment
--
-- Purpose: an archived 通报 keeps the numbers of its as-of moment (docs/reports.md); this
--   says how many records of its period the store received after that moment, so a reader
--   knows the snapshot is older than the store. A record's arrival is the finish of the
--   import batch that last wrote it (import_batches.finished_at, migration 006); a record
--   no import wrote (demo generator, pre-006 rows) arrived when it was registered
--   (incidents.registered_at, else reported_at; hazards.found_at).
-- Parameters:
--   $prefix  scope region short code; rows kept when starts_with(grid_code, $prefix)
--   $start   first moment of the period (TIMESTAMP)
--   $end     first moment after the period (TIMESTAMP)
--   $as_of   the report's as-of moment (TIMESTAMP, store wall time)
-- Columns: kind ('incident' | 'hazard'), category (小类 name, or the code; the hazard type),
--   n (records), first_arrival, last_arrival; largest groups first.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
WITH arrivals AS (
    SELECT 'incident' AS kind,
           coalesce(c.minor_name, i.category_code) AS category,
           coalesce(b.finished_at, i.registered_at, i.reported_at) AS arrival
    FROM incidents AS i
    LEFT JOIN import_batches AS b ON b.id = i.batch_id
    LEFT JOIN categories AS c ON c.code = i.category_code
    WHERE starts_with(i.grid_code, $prefix)
      AND i.reported_at >= $start AND i.reported_at < $end
    UNION ALL
    SELECT 'hazard' AS kind,
           h.type AS category,
           coalesce(b.finished_at, h.found_at) AS arrival
    FROM hazards AS h
    LEFT JOIN import_batches AS b ON b.id = h.batch_id
    WHERE starts_with(h.grid_code, $prefix)
      AND h.found_at >= $start AND h.found_at < $end
)
SELECT kind, category, count(*) AS n, min(arrival) AS first_arrival,
       max(arrival) AS last_arrival
FROM arrivals
WHERE arrival > $as_of
GROUP BY kind, category
ORDER BY n DESC, kind, category
