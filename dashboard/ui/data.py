"""Cached access to dashboard.metrics for the pages: one bounded `st.cache_data` keyed only on scalars.

Each page function builds the metrics `Query` from the page context (url, data version, scope, rules,
today) and calls the metric function through `_cached`, keyed on the function's qualified name, the data
version and the scalar arguments. `data_version` changes with every import, undo or demo load, so a new
version misses the cache (and prepares project_facts once) and every page shows the new data without a
restart. Never pass a DataFrame into it.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from dashboard import metrics

TTL = 3600  # seconds; the data version already invalidates on writes, this only bounds memory


@st.cache_data(max_entries=512, ttl=TTL, show_spinner=False)
def _run(name: str, version: int, args: tuple, kwargs: tuple, _fn=None):
    """_fn(*args, **kwargs); `name` and `version` are only part of the key (`_fn` is not hashed)."""
    return _fn(*args, **dict(kwargs))


def _cached(fn, version: int, *args, **kwargs):
    """fn(*args, **kwargs) through the one cache, keyed on fn's qualified name, `version` and the arguments."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _run(name, version, args, tuple(sorted(kwargs.items())), _fn=fn)


def _prepared(url: str, version: int) -> int:
    """project_facts brought up to the data version, once per (url, version); the version it was built for."""
    return _cached(metrics.prepare, version, url)


def _query(ctx, scope=None) -> metrics.Query:
    version = _prepared(ctx.url, ctx.version)
    return metrics.Query(ctx.url, version, scope or ctx.scope, ctx.rules, ctx.today)


def _metric(fn, ctx, *args, scope=None, **kwargs):
    """A metric of the page's scope (or the given one): fn(Query, *args, **kwargs), cached."""
    q = _query(ctx, scope)
    return _cached(fn, q.version, q, *args, **kwargs)


def scope_for(ctx, **changes):
    return dataclasses.replace(ctx.scope, **changes)


# ---- options -------------------------------------------------------------------------------------------

def available_years(url: str, version: int) -> list[int]:
    return _cached(metrics.available_years, version, url)


def department_options(url: str, version: int):
    return _cached(metrics.department_options, version, url)


def fund_source_options(url: str, version: int) -> list[str]:
    return _cached(metrics.fund_source_options, _prepared(url, version), url)


def resolve_department(ctx, text: str):
    return _cached(metrics.resolve_department, ctx.version, ctx.url, text)


def provenance(ctx) -> dict:
    return _metric(metrics.provenance, ctx)


# ---- scope-level figures -------------------------------------------------------------------------------

def kpis(ctx, scope=None) -> dict:
    return _metric(metrics.kpis, ctx, scope=scope)


def coverage_by_department(ctx):
    return _metric(metrics.coverage_by_department, ctx)


def coverage_by_fund_source(ctx):
    return _metric(metrics.coverage_by_fund_source, ctx)


def evaluation_coverage_by_kind(ctx):
    return _metric(metrics.evaluation_coverage_by_kind, ctx)


def projects_without_targets(ctx, limit: int = 500):
    return _metric(metrics.projects_without_targets, ctx, limit=limit)


def lights_by_department(ctx):
    return _metric(metrics.lights_by_department, ctx)


def warning_list(ctx, lights: tuple[str, ...] = ("red",), limit: int = 500, scope=None):
    return _metric(metrics.warning_list, ctx, scope=scope, lights=tuple(lights), limit=limit)


def execution_scatter(ctx, limit: int = 2000):
    return _metric(metrics.execution_scatter, ctx, limit=limit)


def grade_mix_by_department(ctx):
    return _metric(metrics.grade_mix_by_department, ctx)


def grade_mix_by_kind(ctx):
    return _metric(metrics.grade_mix_by_kind, ctx)


def evaluation_list(ctx, kind: str | None = None, limit: int = 1000, scope=None):
    return _metric(metrics.evaluation_list, ctx, scope=scope, kind=kind, limit=limit)


def inflation_list(ctx):
    return _metric(metrics.inflation_list, ctx)


def result_application(ctx):
    return _metric(metrics.result_application, ctx)


def findings_by_department(ctx):
    return _metric(metrics.findings_by_department, ctx)


def overdue_findings(ctx, limit: int = 1000, scope=None):
    return _metric(metrics.overdue_findings, ctx, scope=scope, limit=limit)


def open_findings(ctx, limit: int = 1000, scope=None):
    """Every finding not yet closed (未整改 / 整改中), overdue or not."""
    return _metric(metrics.open_findings, ctx, scope=scope, limit=limit)


def age_buckets(ctx):
    return _metric(metrics.age_buckets, ctx)


def closure_trend(ctx):
    return _metric(metrics.closure_trend, ctx)


def search_projects(ctx, text: str = "", grade=None, light=None, status=None, limit: int = 50, offset: int = 0,
                    scope=None):
    return _metric(metrics.search_projects, ctx, scope=scope, text=text or "", grade=grade, light=light,
                   status=status, limit=int(limit), offset=int(offset))


# ---- departments and projects --------------------------------------------------------------------------

def department_ranking(ctx, year: int | None = None):
    return _metric(metrics.department_ranking, ctx, scope=scope_for(ctx, year=year or ctx.scope.year))


def department_trend(ctx, department_id: int):
    return _metric(metrics.department_trend, ctx, int(department_id))


def project_card(ctx, project_id: int):
    return _metric(metrics.project_card, ctx, int(project_id))
