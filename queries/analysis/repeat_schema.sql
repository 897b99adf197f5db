-- analysis/repeat_schema: the 事件 page's repeat-place cases (migration 017)
--
-- Purpose: theme/repeat_places.sql looks for places (same grid, same 小类, coordinates
--   rounded to 0.001°) with at least 3 of the filtered cases; over three years at 10M that
--   groups 9.6M cases into 6.5M places, of which 0.5M have 3 cases or more. A place with 3
--   filtered cases has at least 3 cases of any kind, so this table holds exactly the cases
--   of those places (non-void, the source's own point: point_quality ''), with the keys the
--   case filters use: the page reads it instead of every case of the period
--   (theme/repeat_places_table.sql), with the same rows (tested). place_n (migration
--   019) lets a top-N read skip the places that cannot reach it. Derived data: refilled
--   per grid from incidents by dashboard/kpi/summaries.py refresh_repeat_places
--   (queries/analysis/repeat_fill.sql) whenever the analysis read tables change.
-- Parameters: none.
-- Columns: none (creates the table).
CREATE TABLE IF NOT EXISTS repeat_place_cases (
    place         BIGINT NOT NULL,   -- the place's key: the smallest id of its cases
    id            BIGINT NOT NULL,
    grid_code     VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    reported_at   TIMESTAMP NOT NULL,
    closed_at     TIMESTAMP,
    lon           DOUBLE NOT NULL,
    lat           DOUBLE NOT NULL,
    lon3          DOUBLE NOT NULL,   -- round(lon, 3)
    lat3          DOUBLE NOT NULL,   -- round(lat, 3)
    place_n       BIGINT NOT NULL    -- the place's cases (all of its rows here; same on
                                     -- each): a bound on its count in any period and
                                     -- filter, for theme/repeat_places_bound.sql
);
