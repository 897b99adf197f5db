-- region/code_map_schema: source codes of imported boundaries and the internal codes they got
--
-- Purpose: `gridcmd import boundaries` gives regions and grids whose source codes do not
--   nest as the five slots' 4/6/9/12/15 digits internal codes (dashboard/levels.py) and
--   keeps the mapping here; record imports translate source grid and region codes through
--   it (dashboard/ingest/validate.py). Stores whose codes are the slots' own (the demo,
--   statistical codes) have no such table.
-- Parameters: none.
-- Columns: level (city | county | town | village | grid: the slot), source_code (as the
--   boundary file wrote it), code (12-digit region code, or 15-digit grid code).
CREATE TABLE code_map (
    level       VARCHAR NOT NULL,
    source_code VARCHAR PRIMARY KEY,
    code        VARCHAR NOT NULL
);
