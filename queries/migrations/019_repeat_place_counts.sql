-- 019_repeat_place_counts: the 事件 page's repeat_place_cases gains place_n, each place's
-- number of cases (docs/analysis.md, Speed, "First call at 10M"): a place's count in any
-- period and filter is at most that, so the page's top ten places read only the places
-- that can reach them (theme/repeat_places_bound.sql) instead of counting every place
-- (0.5M at three years on 10M). The refill below creates and fills the table through the
-- current code (dashboard/kpi/summaries.py refresh_repeat_places). No other table changes.
-- @refill repeat_places
DROP TABLE IF EXISTS repeat_place_cases;
