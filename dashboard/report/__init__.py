"""The 通报, monthly or weekly (``gridcmd report``): data from the KPI layer, written as
xlsx, pdf or docx, archived with its as-of snapshot (:mod:`dashboard.report.archive`).

:func:`build_report` computes a :class:`Report` (plain data); :func:`write_xlsx`,
:func:`write_pdf` and :func:`write_docx` only lay it out, so every format shows the same
numbers.
"""

from dashboard.periods import ReportPeriod, parse_month, report_period
from dashboard.report.data import (
    HEADLINE_KEYS,
    AsOfError,
    NoDataError,
    Report,
    build_report,
    department_ranking,
    overdue_list,
)
from dashboard.report.files import atomic_path, check_writable
from dashboard.report.pdf import write_pdf
from dashboard.report.word import write_docx
from dashboard.report.xlsx import write_xlsx

FORMATS = {"xlsx": write_xlsx, "pdf": write_pdf, "docx": write_docx}

__all__ = [
    "FORMATS", "HEADLINE_KEYS", "AsOfError", "NoDataError", "Report", "ReportPeriod", "atomic_path",
    "build_report", "report_period",
    "check_writable", "department_ranking", "overdue_list", "parse_month", "write_docx",
    "write_pdf", "write_xlsx",
]
