"""The KPI layer: jurisdiction scopes, summary tables, the KPI registry and the engine.

Every function that reads facts takes a :class:`Scope`; overview KPIs come from the summary
tables (``queries/summary_*.sql``), and drill-through reads raw rows for the case ids.
"""

from dashboard.kpi import rollup_sql  # noqa: F401  (registers the rollups' generated SQL)
from dashboard.kpi.engine import DrillResult, drill, kpis, kpis_spans
from dashboard.kpi.registry import KPIS, Kpi, get
from dashboard.kpi.scope import Scope
from dashboard.kpi.summaries import SUMMARY_TABLES, refresh_summaries

__all__ = [
    "KPIS", "SUMMARY_TABLES", "DrillResult", "Kpi", "Scope", "drill", "get", "kpis", "kpis_spans",
    "refresh_summaries",
]
