-- overview/feed_names: the English name of a listed case's category, as a CTE (a block of
--   a WITH list, included by overview/feed.sql, overview/alerts.sql and
--   overview/panel_items.sql)
--
-- Purpose: the live feed (实时事件) and the alert list's overdue and due-soon cases read in
--   the page's language: a case's 小类 by the store's categories.name_en. open_items keeps
--   the names of a case's 大类 and 小类, not its code, so every path finds the English name
--   by the pair (major_name, minor_name),
--   and only where every category of that pair has the same English name (else NULL, as
--   where the store has none: an imported store may lack English names; the page then
--   shows the stored Chinese name). One rule for both paths, so they agree.
-- Parameters: none.
-- Columns: feed_en (major_name, minor_name, name_en); the block ends with a comma: it is
--   included before another CTE.
feed_en AS (
    SELECT major_name, minor_name, any_value(name_en) AS name_en
    FROM categories
    GROUP BY major_name, minor_name
    HAVING count(DISTINCT coalesce(name_en, '')) = 1
),
