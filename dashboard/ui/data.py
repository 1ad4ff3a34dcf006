"""Cached access to dashboard.metrics for the pages, keyed only on scalars: (url, data_version, scope, rules, today).

Every call goes through one `st.cache_data` function keyed on the metric's name and its scalar arguments.
`data_version` changes with every import, undo or demo load, so a new version misses the cache and every
page shows the new data without a restart. Never pass a DataFrame into it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from dashboard import metrics

TTL = 3600  # seconds; the data version already invalidates on writes, this only bounds memory


@st.cache_data(max_entries=512, ttl=TTL, show_spinner=False)
def _cached(name: str, url: str, version: int, args: tuple, kwargs: tuple):
    """metrics.<name>(url, *args, **kwargs); `version` is only part of the key."""
    return getattr(metrics, name)(url, *args, **dict(kwargs))


def _get(name: str, url: str, version: int, *args, **kwargs):
    return _cached(name, url, version, args, tuple(sorted(kwargs.items())))


def _scoped(name: str, ctx, *args, scope=None, **kwargs):
    """A metric of the page's scope (or the given one): metrics.<name>(url, scope, *args, **kwargs)."""
    return _get(name, ctx.url, ctx.version, scope or ctx.scope, *args, **kwargs)


def scope_for(ctx, **changes):
    return dataclasses.replace(ctx.scope, **changes)


def today() -> dt.date:
    return dt.date.today()


# ---- options -------------------------------------------------------------------------------------------

def available_years(url: str, version: int) -> list[int]:
    return _get("available_years", url, version)


def department_options(url: str, version: int):
    return _get("department_options", url, version)


def fund_source_options(url: str, version: int) -> list[str]:
    return _get("fund_source_options", url, version)


def resolve_department(ctx, text: str):
    return _get("resolve_department", ctx.url, ctx.version, text)


def provenance(ctx) -> dict:
    return _get("provenance", ctx.url, ctx.version, ctx.year)


# ---- scope-level figures -------------------------------------------------------------------------------

def kpis(ctx, scope=None) -> dict:
    return _scoped("kpis", ctx, ctx.rules, ctx.today, scope=scope)


def coverage_by_department(ctx):
    return _scoped("coverage_by_department", ctx)


def coverage_by_fund_source(ctx):
    return _scoped("coverage_by_fund_source", ctx)


def evaluation_coverage_by_kind(ctx):
    return _scoped("evaluation_coverage_by_kind", ctx)


def projects_without_targets(ctx, limit: int = 500):
    return _scoped("projects_without_targets", ctx, limit=limit)


def lights_by_department(ctx):
    return _scoped("lights_by_department", ctx, ctx.rules)


def warning_list(ctx, lights: tuple[str, ...] = ("red",), limit: int = 500, scope=None):
    return _scoped("warning_list", ctx, ctx.rules, scope=scope, lights=tuple(lights), limit=limit)


def execution_scatter(ctx, limit: int = 2000):
    return _scoped("execution_scatter", ctx, ctx.rules, limit=limit)


def grade_mix_by_department(ctx):
    return _scoped("grade_mix_by_department", ctx, ctx.rules)


def grade_mix_by_kind(ctx):
    return _scoped("grade_mix_by_kind", ctx, ctx.rules)


def evaluation_list(ctx, kind: str | None = None, limit: int = 1000, scope=None):
    return _scoped("evaluation_list", ctx, ctx.rules, scope=scope, kind=kind, limit=limit)


def inflation_list(ctx):
    return _scoped("inflation_list", ctx, ctx.rules)


def result_application(ctx):
    return _scoped("result_application", ctx, ctx.rules)


def findings_by_department(ctx):
    return _scoped("findings_by_department", ctx, ctx.today)


def overdue_findings(ctx, limit: int = 1000, scope=None):
    return _scoped("overdue_findings", ctx, ctx.today, ctx.rules, scope=scope, limit=limit)


def open_findings(ctx, limit: int = 1000, scope=None):
    """Every finding not yet closed (未整改 / 整改中), overdue or not."""
    return _scoped("open_findings", ctx, ctx.today, ctx.rules, scope=scope, limit=limit)


def age_buckets(ctx):
    return _scoped("age_buckets", ctx, ctx.today, ctx.rules)


def closure_trend(ctx):
    return _scoped("closure_trend", ctx)


def search_projects(ctx, text: str = "", grade=None, light=None, status=None, limit: int = 50, offset: int = 0,
                    scope=None):
    return _scoped("search_projects", ctx, ctx.rules, scope=scope, text=text or "", grade=grade, light=light,
                   status=status, limit=int(limit), offset=int(offset))


# ---- departments and projects --------------------------------------------------------------------------

def department_ranking(ctx, year: int | None = None):
    return _get("department_ranking", ctx.url, ctx.version, year or ctx.scope.year, ctx.scope.fund_source,
                ctx.rules, ctx.today)


def department_trend(ctx, department_id: int):
    return _get("department_trend", ctx.url, ctx.version, int(department_id), ctx.rules, ctx.today)


def project_card(ctx, project_id: int):
    return _get("project_card", ctx.url, ctx.version, int(project_id), ctx.rules, ctx.today)
