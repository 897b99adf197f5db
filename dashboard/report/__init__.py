"""The monthly 通报 (``gridcmd report``): data from the KPI layer, written as xlsx or pdf.

:func:`build_report` computes a :class:`Report` (plain data); :func:`write_xlsx` and
:func:`write_pdf` only lay it out, so both formats always show the same numbers.
"""

from dashboard.report.data import (
    HEADLINE_KEYS,
    NoDataError,
    Report,
    build_report,
    department_ranking,
    overdue_list,
    parse_month,
)
from dashboard.report.files import atomic_path, check_writable
from dashboard.report.pdf import write_pdf
from dashboard.report.xlsx import write_xlsx

FORMATS = {"xlsx": write_xlsx, "pdf": write_pdf}

__all__ = [
    "FORMATS", "HEADLINE_KEYS", "NoDataError", "Report", "atomic_path", "build_report",
    "check_writable", "department_ranking", "overdue_list", "parse_month", "write_pdf",
    "write_xlsx",
]
