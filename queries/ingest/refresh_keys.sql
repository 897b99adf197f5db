-- ingest/refresh_keys: the first step of an incremental grid-level refresh
--
-- Purpose: the (grid, day) keys a load touched for one kind (TEMP ingest_keys, which the
--   including query's INSERT reads) and the deletion of the summary's rows at those keys.
--   Shared by ingest_refresh_incident_daily, _hazard_daily, _key_person_daily and
--   _visit_daily (`-- @include ingest_refresh_keys kind=visits table=visit_daily`).
-- @slot kind: incidents hazards key_persons visits
-- @slot table: incident_daily hazard_daily key_person_daily visit_daily
-- Parameters: none. Reads TEMP ingest_touched.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_keys AS
SELECT DISTINCT grid_code, day FROM ingest_touched WHERE kind = '{{kind}}';

DELETE FROM {{table}} AS s
USING ingest_keys AS k
WHERE s.grid_code = k.grid_code AND s.day = k.day;
