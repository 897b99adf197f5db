-- 006_import_provenance: which import wrote a row, and what a batch's idempotence key and
-- time-zone assumptions were (docs/ingest.md: replacing an import, time zones).
-- Fact tables an import writes get batch_id (import_batches.id of the import that last
-- inserted or changed the row; NULL for rows written before, by the demo generator or
-- older imports); import_batches gets the column map's hash and the rules version (the
-- idempotence key is file + mapping + rules) and the counts of time values with and
-- without an offset.
ALTER TABLE incidents ADD COLUMN batch_id BIGINT;
ALTER TABLE hazards ADD COLUMN batch_id BIGINT;
ALTER TABLE key_persons ADD COLUMN batch_id BIGINT;
ALTER TABLE key_person_pii ADD COLUMN batch_id BIGINT;
ALTER TABLE visits ADD COLUMN batch_id BIGINT;
ALTER TABLE surveys ADD COLUMN batch_id BIGINT;
ALTER TABLE sensor_readings ADD COLUMN batch_id BIGINT;
ALTER TABLE import_batches ADD COLUMN mapping_sha256 VARCHAR;
ALTER TABLE import_batches ADD COLUMN rules_version INTEGER;
ALTER TABLE import_batches ADD COLUMN tz_offset_values BIGINT;
ALTER TABLE import_batches ADD COLUMN tz_naive_values BIGINT;
ALTER TABLE import_batches ADD COLUMN tz_assumed VARCHAR;
