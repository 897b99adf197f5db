"""The as-of rules under their first name: :mod:`dashboard.periods` is their home.

Kept so that callers written before the move keep working while other branches land;
new code imports :mod:`dashboard.periods`.
"""

from dashboard.periods import (  # noqa: F401
    DEFAULT_PERIOD,
    EARLIEST,
    PERIODS,
    ROLLING_DAYS,
    AsOf,
    end_of_day,
    months_back,
    parse_asof,
    parse_period,
    resolve,
    shift_months,
    spans,
    window,
    year_back,
)
