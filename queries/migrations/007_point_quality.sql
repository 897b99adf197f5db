-- 007_point_quality: where a record's point comes from, and the placeholder points of imports
-- (docs/ingest.md, Placeholder points; docs/schema.md). Stored facts keep their grids;
-- a point equal to its grid's label point was filled in from a grid code ('grid_centre'),
-- every other stored point counts as the source's own (''). The summaries do not change.
ALTER TABLE incidents ADD COLUMN point_quality VARCHAR DEFAULT '';
ALTER TABLE hazards ADD COLUMN point_quality VARCHAR DEFAULT '';
ALTER TABLE key_persons ADD COLUMN point_quality VARCHAR DEFAULT '';
UPDATE incidents AS i SET point_quality = 'grid_centre'
FROM grids AS g
WHERE g.code = i.grid_code AND g.lon = i.lon AND g.lat = i.lat;
UPDATE hazards AS h SET point_quality = 'grid_centre'
FROM grids AS g
WHERE g.code = h.grid_code AND g.lon = h.lon AND g.lat = h.lat;
ALTER TABLE import_batches ADD COLUMN placeholder_rows BIGINT DEFAULT 0;
ALTER TABLE import_batches ADD COLUMN placed_rows BIGINT DEFAULT 0;
ALTER TABLE import_batches ADD COLUMN no_deadline BIGINT DEFAULT 0;
CREATE TABLE import_placeholders (
    batch_id    BIGINT NOT NULL,
    kind        VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    lon         DOUBLE NOT NULL,
    lat         DOUBLE NOT NULL,
    reason      VARCHAR NOT NULL,
    file_rows   BIGINT NOT NULL,
    file_located BIGINT NOT NULL,
    rows        BIGINT NOT NULL,
    placed      BIGINT NOT NULL,
    unplaced    BIGINT NOT NULL
);
