"""Cached wrappers around dashboard.metrics, keyed only on scalars: (url, data_version, scope, rules, today).

`data_version` changes with every import, undo or demo load, so a new version misses the cache and every
page shows the new data without a restart. Never pass a DataFrame into a cached function here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from dashboard import metrics

TTL = 3600  # seconds; the data version already invalidates on writes, this only bounds memory
SMALL = {"max_entries": 32, "ttl": TTL, "show_spinner": False}
LARGE = {"max_entries": 128, "ttl": TTL, "show_spinner": False}


def scope_for(ctx, **changes):
    return dataclasses.replace(ctx.scope, **changes)


# ---- options -------------------------------------------------------------------------------------------

@st.cache_data(**SMALL)
def _available_years(url: str, version: int) -> list[int]:
    return list(metrics.available_years(url))


def available_years(url: str, version: int) -> list[int]:
    return _available_years(url, version)


@st.cache_data(**SMALL)
def _department_options(url: str, version: int):
    return metrics.department_options(url)


def department_options(url: str, version: int):
    return _department_options(url, version)


@st.cache_data(**SMALL)
def _fund_source_options(url: str, version: int) -> list[str]:
    return list(metrics.fund_source_options(url))


def fund_source_options(url: str, version: int) -> list[str]:
    return _fund_source_options(url, version)


@st.cache_data(**SMALL)
def _resolve_department(url: str, version: int, text: str):
    return metrics.resolve_department(url, text)


def resolve_department(ctx, text: str):
    return _resolve_department(ctx.url, ctx.version, text)


@st.cache_data(**SMALL)
def _provenance(url: str, version: int, year: int | None) -> dict:
    return metrics.provenance(url, year)


def provenance(ctx) -> dict:
    return _provenance(ctx.url, ctx.version, ctx.year)


# ---- scope-level figures -------------------------------------------------------------------------------

@st.cache_data(**LARGE)
def _kpis(url, version, scope, rules, today):
    return metrics.kpis(url, scope, rules, today)


def kpis(ctx, scope=None) -> dict:
    return _kpis(ctx.url, ctx.version, scope or ctx.scope, ctx.rules, ctx.today)


@st.cache_data(**LARGE)
def _coverage_by_department(url, version, scope):
    return metrics.coverage_by_department(url, scope)


def coverage_by_department(ctx):
    return _coverage_by_department(ctx.url, ctx.version, ctx.scope)


@st.cache_data(**LARGE)
def _coverage_by_fund_source(url, version, scope):
    return metrics.coverage_by_fund_source(url, scope)


def coverage_by_fund_source(ctx):
    return _coverage_by_fund_source(ctx.url, ctx.version, ctx.scope)


@st.cache_data(**LARGE)
def _evaluation_coverage_by_kind(url, version, scope):
    return metrics.evaluation_coverage_by_kind(url, scope)


def evaluation_coverage_by_kind(ctx):
    return _evaluation_coverage_by_kind(ctx.url, ctx.version, ctx.scope)


@st.cache_data(**LARGE)
def _projects_without_targets(url, version, scope, limit):
    return metrics.projects_without_targets(url, scope, limit=limit)


def projects_without_targets(ctx, limit: int = 500):
    return _projects_without_targets(ctx.url, ctx.version, ctx.scope, limit)


@st.cache_data(**LARGE)
def _lights_by_department(url, version, scope, rules):
    return metrics.lights_by_department(url, scope, rules)


def lights_by_department(ctx):
    return _lights_by_department(ctx.url, ctx.version, ctx.scope, ctx.rules)


@st.cache_data(**LARGE)
def _warning_list(url, version, scope, rules, lights, limit):
    return metrics.warning_list(url, scope, rules, lights=lights, limit=limit)


def warning_list(ctx, lights: tuple[str, ...] = ("red",), limit: int = 500, scope=None):
    return _warning_list(ctx.url, ctx.version, scope or ctx.scope, ctx.rules, tuple(lights), limit)


@st.cache_data(**LARGE)
def _execution_scatter(url, version, scope, rules, limit):
    return metrics.execution_scatter(url, scope, rules, limit=limit)


def execution_scatter(ctx, limit: int = 2000):
    return _execution_scatter(ctx.url, ctx.version, ctx.scope, ctx.rules, limit)


@st.cache_data(**LARGE)
def _grade_mix_by_department(url, version, scope, rules):
    return metrics.grade_mix_by_department(url, scope, rules)


def grade_mix_by_department(ctx):
    return _grade_mix_by_department(ctx.url, ctx.version, ctx.scope, ctx.rules)


@st.cache_data(**LARGE)
def _grade_mix_by_kind(url, version, scope, rules):
    return metrics.grade_mix_by_kind(url, scope, rules)


def grade_mix_by_kind(ctx):
    return _grade_mix_by_kind(ctx.url, ctx.version, ctx.scope, ctx.rules)


@st.cache_data(**LARGE)
def _evaluation_list(url, version, scope, rules, kind, limit):
    return metrics.evaluation_list(url, scope, rules, kind=kind, limit=limit)


def evaluation_list(ctx, kind: str | None = None, limit: int = 1000, scope=None):
    return _evaluation_list(ctx.url, ctx.version, scope or ctx.scope, ctx.rules, kind, limit)


@st.cache_data(**LARGE)
def _inflation_list(url, version, scope, rules):
    return metrics.inflation_list(url, scope, rules)


def inflation_list(ctx):
    return _inflation_list(ctx.url, ctx.version, ctx.scope, ctx.rules)


@st.cache_data(**LARGE)
def _result_application(url, version, scope, rules):
    return metrics.result_application(url, scope, rules)


def result_application(ctx):
    return _result_application(ctx.url, ctx.version, ctx.scope, ctx.rules)


@st.cache_data(**LARGE)
def _findings_by_department(url, version, scope, today):
    return metrics.findings_by_department(url, scope, today)


def findings_by_department(ctx):
    return _findings_by_department(ctx.url, ctx.version, ctx.scope, ctx.today)


@st.cache_data(**LARGE)
def _overdue_findings(url, version, scope, today, rules, limit):
    return metrics.overdue_findings(url, scope, today, rules, limit=limit)


def overdue_findings(ctx, limit: int = 1000, scope=None):
    return _overdue_findings(ctx.url, ctx.version, scope or ctx.scope, ctx.today, ctx.rules, limit)


@st.cache_data(**LARGE)
def _age_buckets(url, version, scope, today, rules):
    return metrics.age_buckets(url, scope, today, rules)


def age_buckets(ctx):
    return _age_buckets(ctx.url, ctx.version, ctx.scope, ctx.today, ctx.rules)


@st.cache_data(**LARGE)
def _closure_trend(url, version, scope):
    return metrics.closure_trend(url, scope)


def closure_trend(ctx):
    return _closure_trend(ctx.url, ctx.version, ctx.scope)


@st.cache_data(**LARGE)
def _department_ranking(url, version, year, fund_source, rules, today):
    return metrics.department_ranking(url, year, fund_source, rules, today)


def department_ranking(ctx, year: int | None = None):
    return _department_ranking(ctx.url, ctx.version, year or ctx.scope.year, ctx.scope.fund_source,
                               ctx.rules, ctx.today)


@st.cache_data(**LARGE)
def _department_trend(url, version, department_id, rules, today):
    return metrics.department_trend(url, department_id, rules, today)


def department_trend(ctx, department_id: int):
    return _department_trend(ctx.url, ctx.version, int(department_id), ctx.rules, ctx.today)


@st.cache_data(**LARGE)
def _search_projects(url, version, scope, rules, text, grade, light, status, limit, offset):
    return metrics.search_projects(url, scope, rules, text=text, grade=grade, light=light, status=status,
                                limit=limit, offset=offset)


def search_projects(ctx, text: str = "", grade=None, light=None, status=None, limit: int = 50, offset: int = 0,
                    scope=None):
    return _search_projects(ctx.url, ctx.version, scope or ctx.scope, ctx.rules, text or "", grade, light,
                            status, int(limit), int(offset))


@st.cache_data(**LARGE)
def _project_card(url, version, project_id, rules, today):
    return metrics.project_card(url, project_id, rules, today)


def project_card(ctx, project_id: int):
    return _project_card(ctx.url, ctx.version, int(project_id), ctx.rules, ctx.today)


def today() -> dt.date:
    return dt.date.today()


@st.cache_data(**LARGE)
def _open_findings(url, version, scope, today, rules, limit):
    return metrics.open_findings(url, scope, today, rules, limit=limit)


def open_findings(ctx, limit: int = 1000, scope=None):
    """Every finding not yet closed (未整改 / 整改中), overdue or not."""
    return _open_findings(ctx.url, ctx.version, scope or ctx.scope, ctx.today, ctx.rules, limit)
