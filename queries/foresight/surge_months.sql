-- foresight/surge_months: monthly case counts per 大类 up to the month $until (from the
-- summary table incident_monthly; void reports left out): the seasonal (month-of-year)
-- factors of surge detection (docs/foresight.md 异常预警).
-- Columns: major_code, month (first day), n.
SELECT c.major_code, m.month, CAST(sum(m.reported - m.void) AS BIGINT) AS n
FROM incident_monthly AS m
JOIN categories AS c ON c.code = m.category_code
WHERE m.month <= $until
GROUP BY ALL
ORDER BY 1, 2
