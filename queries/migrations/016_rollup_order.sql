-- 016_rollup_order: the region rollups (village_daily, town_daily, county_daily,
-- city_daily) stored in region order, then day, instead of day order (docs/overview.md,
-- Speed, "Issue 18, the cold step"). The KPI engine reads one region's rows (or a parent's
-- sub-regions, whose codes share its prefix) over a period: in day order a village's 13
-- months (the overview's cards and trend, one read since this change) touched every row
-- group of those months (about 7 of village_daily's 20 at 10M, 20-25 ms); in region order
-- they sit in one row group (about 1 ms). The rows do not change, only their order; a full
-- refresh writes them in this order (summary/level_rollup_insert.sql ORDER BY region,
-- day), and the key-wise and additive refreshes append a batch's rows in it. Statements
-- only, no parameters.
CREATE TEMP TABLE rollup_order AS SELECT * FROM village_daily ORDER BY region, day;
DELETE FROM village_daily;
INSERT INTO village_daily SELECT * FROM rollup_order ORDER BY region, day;
DROP TABLE rollup_order;
CREATE TEMP TABLE rollup_order AS SELECT * FROM town_daily ORDER BY region, day;
DELETE FROM town_daily;
INSERT INTO town_daily SELECT * FROM rollup_order ORDER BY region, day;
DROP TABLE rollup_order;
CREATE TEMP TABLE rollup_order AS SELECT * FROM county_daily ORDER BY region, day;
DELETE FROM county_daily;
INSERT INTO county_daily SELECT * FROM rollup_order ORDER BY region, day;
DROP TABLE rollup_order;
CREATE TEMP TABLE rollup_order AS SELECT * FROM city_daily ORDER BY region, day;
DELETE FROM city_daily;
INSERT INTO city_daily SELECT * FROM rollup_order ORDER BY region, day;
DROP TABLE rollup_order;
