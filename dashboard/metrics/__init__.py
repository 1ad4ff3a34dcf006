"""Every figure the pages, the CLI summary and the exports show, aggregated in SQL (SQLite and PostgreSQL alike).

One calling convention: `q = Query(url, prepare(url), Scope(year, departments, fund_source), rules, today)`,
then `kpis(q)`, `warning_list(q, lights=(...), limit=..., offset=...)`, … Every metric takes the Query first and returns a
small DataFrame or dict; none loads a whole table into pandas. Every list takes `limit=None, offset=0`
(all rows by default, or one page) and has a `*_count` with the same filters, so no list is cut silently. `prepare` brings project_facts up to the data
version once; metrics only read it. Lookups that need no scope (years, departments, fund sources) take the
URL. Rules come from dashboard.core.rules, and where one runs in SQL from dashboard.core.rules_sql.
"""

from dashboard.metrics.coverage import (
    coverage_by_department,
    coverage_by_fund_source,
    evaluation_coverage_by_kind,
    projects_without_targets,
    projects_without_targets_count,
    projects_without_targets_total,
)
from dashboard.metrics.department_wide import department_wide, department_wide_detail, department_wide_totals
from dashboard.metrics.departments import department_ranking, department_trend
from dashboard.metrics.evaluation import (
    evaluation_count,
    evaluation_list,
    good_share,
    grade_mix_by_department,
    grade_mix_by_kind,
    inflation_count,
    inflation_list,
    inflation_total,
    result_application,
)
from dashboard.metrics.findings import (
    age_buckets,
    closure_trend,
    findings_by_department,
    findings_count,
    findings_list,
    open_count,
    open_findings,
    overdue_count,
    overdue_findings,
)
from dashboard.metrics.indicators import (
    indicator_totals,
    indicators_by_department,
    project_indicators,
    risky_indicators,
    risky_indicators_count,
    target_quality,
    target_quality_by_department,
    target_quality_count,
    unmet_indicators,
    unmet_indicators_count,
)
from dashboard.metrics.monitoring import execution_scatter, lights_by_department, warning_count, warning_list
from dashboard.metrics.options import (
    available_years,
    department_options,
    department_sectors,
    fund_source_options,
    provenance,
    resolve_department,
)
from dashboard.metrics.projects import count_projects, project_card, search_projects, shown_grade, shown_light
from dashboard.metrics.query import Query, Scope, clear_caches, prepare
from dashboard.metrics.totals import (
    evaluation_totals,
    finding_totals,
    kpis,
    monitoring_totals,
    project_totals,
)

__all__ = [
    "Query",
    "Scope",
    "age_buckets",
    "available_years",
    "clear_caches",
    "closure_trend",
    "count_projects",
    "coverage_by_department",
    "coverage_by_fund_source",
    "department_options",
    "department_ranking",
    "department_sectors",
    "department_trend",
    "department_wide",
    "department_wide_detail",
    "department_wide_totals",
    "evaluation_count",
    "evaluation_coverage_by_kind",
    "evaluation_list",
    "evaluation_totals",
    "execution_scatter",
    "finding_totals",
    "findings_by_department",
    "findings_count",
    "findings_list",
    "fund_source_options",
    "good_share",
    "grade_mix_by_department",
    "grade_mix_by_kind",
    "indicator_totals",
    "indicators_by_department",
    "inflation_count",
    "inflation_list",
    "inflation_total",
    "kpis",
    "lights_by_department",
    "monitoring_totals",
    "open_count",
    "open_findings",
    "overdue_count",
    "overdue_findings",
    "prepare",
    "project_card",
    "project_indicators",
    "project_totals",
    "projects_without_targets",
    "projects_without_targets_count",
    "projects_without_targets_total",
    "provenance",
    "resolve_department",
    "result_application",
    "risky_indicators",
    "risky_indicators_count",
    "search_projects",
    "shown_grade",
    "shown_light",
    "target_quality",
    "target_quality_by_department",
    "target_quality_count",
    "unmet_indicators",
    "unmet_indicators_count",
    "warning_count",
    "warning_list",
]
