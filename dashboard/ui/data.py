"""Cached access to dashboard.metrics for the pages: one bounded `st.cache_data` keyed only on scalars.

Each page function builds the metrics `Query` from the page context (url, data version, scope, rules,
today) and calls the metric function through `_cached`, keyed on the function's qualified name, the data
version and the scalar arguments (one string: their repr, see `_key`). Lists come as a `Listing`: its count and any page through the cache,
all its rows in chunks for a download (uncached, so a province-wide export never sits in the cache). `data_version` changes with every import, undo or demo load, so a new
version misses the cache (and prepares project_facts once) and every page shows the new data without a
restart. Never pass a DataFrame into it. `built` keeps read-only objects made from a query's figures (the
overview's charts) once per process, shared by every session (st.cache_resource, the same key).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import streamlit as st

from dashboard import metrics
from dashboard.metrics.query import many

# Entries per cache: the pre-visits (dashboard/previsit.py) fill about 18 of `_run` and 2 of `_built` for each
# department and year they open (at most previsit.MAX_DEPARTMENT_YEARS = 400 of them), the readers' other pages
# the rest. No time-to-live: an entry is keyed on the data version, which every write changes, so an old entry is
# never read again and leaves as the least recently used; memory is bounded by the count (a time-to-live of an
# hour made every pre-visited department cold again an hour after the server warmed it).
RUN_ENTRIES = 8192
BUILT_ENTRIES = 1024


@st.cache_data(max_entries=RUN_ENTRIES, show_spinner=False)
def _run(key: str, _fn=None, _args: tuple = (), _kwargs: tuple = ()):
    """_fn(*_args, **_kwargs); `key` (see _cached) is the cache key, the underscored parameters are not hashed."""
    return _fn(*_args, **dict(_kwargs))


def _key(fn, version: int, args: tuple, kwargs: tuple) -> str:
    """The cache key of fn(*args, **kwargs) at a data version: fn's qualified name, the version and the arguments'
    repr. The arguments are scalars, tuples and frozen dataclasses of them (Query, Scope, Rules, dates), whose repr
    names every field and value. Streamlit hashed each argument itself, walking each Query, its Scope and its Rules
    field by field and looking up each parameter's name, on every call: a tenth of a 部门画像 run's CPU (issue 28,
    bench/cpu_steps.py); one string is hashed at once."""
    return f"{fn.__module__}.{fn.__qualname__}|{version}|{(args, kwargs)!r}"


def _cached(fn, version: int, *args, **kwargs):
    """fn(*args, **kwargs) through the one cache, keyed on fn's qualified name, `version` and the arguments."""
    kw = tuple(sorted(kwargs.items()))
    return _run(_key(fn, version, args, kw), _fn=fn, _args=args, _kwargs=kw)


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


@st.cache_resource(max_entries=BUILT_ENTRIES, show_spinner=False)
def _built(key: str, _build=None):
    """_build(), once per process for each key (`_build` is not hashed)."""
    return _build()


def built(name: str, ctx, build: Callable, *key):
    """build() once per process for the page context's query (data version, scope, rules, day) and `key`, shared by
    every session: for read-only objects made from that query's figures (the overview's charts; nothing mutates
    a shown figure). `build` must depend on nothing but the query and `key` (scalars, keyed by their repr).

    The overview's two charts were built again on every rerun of every session (issue 28, bench/cpu_steps.py)."""
    q = _query(ctx)
    return _built(f"{name}|{q.version}|{(q, key)!r}", _build=build)


def scope_for(ctx, **changes):
    return dataclasses.replace(ctx.scope, **changes)


CHUNK = 20_000  # rows per query when a download reads a whole list (a few MB of frame at a time)


@dataclasses.dataclass(frozen=True)
class Listing:
    """One complete list: `rows(q, **filters, limit=, offset=)` and `count(q, **filters)` of metrics.

    `total()` and `page()` go through the cache; `chunks()` reads every row, CHUNK at a time, straight from
    metrics (it runs in the download's own thread, outside the script run, when the button is clicked).
    """

    rows: Callable
    count: Callable
    q: metrics.Query
    filters: tuple = ()

    def total(self) -> int:
        return int(_cached(self.count, self.q.version, self.q, **dict(self.filters)))

    def page(self, limit: int, offset: int):
        return _cached(self.rows, self.q.version, self.q, limit=int(limit), offset=int(offset), **dict(self.filters))

    def key(self, *extra) -> str:
        """A cache key naming this list (its functions, data version, query and filters) and `extra` (scalars)."""
        return _key(self.rows, self.q.version, (self.q, self.filters, *extra), ())

    def chunks(self, size: int = CHUNK) -> Iterator:
        offset = 0
        while True:
            df = self.rows(self.q, limit=size, offset=offset, **dict(self.filters))
            if len(df):
                yield df
            if len(df) < size:
                return
            offset += size


def _listing(ctx, rows_fn, count_fn, scope=None, **filters) -> Listing:
    return Listing(rows_fn, count_fn, _query(ctx, scope), tuple(sorted(filters.items())))


# ---- options -------------------------------------------------------------------------------------------

def available_years(url: str, version: int) -> list[int]:
    return _cached(metrics.available_years, version, url)


def department_options(url: str, version: int):
    return _cached(metrics.department_options, version, url)


def department_sectors(url: str, version: int) -> dict[int, str | None]:
    return _cached(metrics.department_sectors, version, url)


def fund_source_options(url: str, version: int) -> list[str]:
    return _cached(metrics.fund_source_options, _prepared(url, version), url)


def resolve_department(ctx, text: str):
    return _cached(metrics.resolve_department, ctx.version, ctx.url, text)


def resolve_project(ctx, code: str):
    return _cached(metrics.resolve_project, ctx.version, ctx.url, code, ctx.scope.year)


def resolve_department_at(url: str, version: int, text: str):
    """resolve_department before there is a Context (the sidebar resolving an account's departments)."""
    return _cached(metrics.resolve_department, version, url, text)


def provenance(ctx) -> dict:
    return _metric(metrics.provenance, ctx)


# ---- scope-level figures -------------------------------------------------------------------------------

def kpis(ctx, scope=None) -> dict:
    return _metric(metrics.kpis, ctx, scope=scope)


def good_share(evaluations: dict) -> float | None:
    """优良率 of `kpis(ctx)["evaluations"]` (metrics.good_share: arithmetic on figures already cached, so no cache)."""
    return metrics.good_share(evaluations)


def coverage_by_department(ctx):
    return _metric(metrics.coverage_by_department, ctx)


def coverage_by_fund_source(ctx):
    return _metric(metrics.coverage_by_fund_source, ctx)


def evaluation_coverage_by_kind(ctx):
    return _metric(metrics.evaluation_coverage_by_kind, ctx)


def projects_without_targets(ctx) -> Listing:
    """Every project without performance targets, largest budget first."""
    return _listing(ctx, metrics.projects_without_targets, metrics.projects_without_targets_count)


def projects_without_targets_total(ctx) -> tuple[int, float]:
    return _metric(metrics.projects_without_targets_total, ctx)


def lights_by_department(ctx):
    return _metric(metrics.lights_by_department, ctx)


def warning_list(ctx, lights: tuple[str, ...] = ("red",), scope=None) -> Listing:
    return _listing(ctx, metrics.warning_list, metrics.warning_count, scope=scope, lights=tuple(lights))


def execution_scatter(ctx, limit: int = 2000):
    return _metric(metrics.execution_scatter, ctx, limit=limit)


def grade_mix_by_department(ctx):
    return _metric(metrics.grade_mix_by_department, ctx)


def grade_mix_by_kind(ctx):
    return _metric(metrics.grade_mix_by_kind, ctx)


def evaluation_list(ctx, kind=None, scope=None) -> Listing:
    """Evaluation records of one kind, several (a tuple) or all (None), lowest score first."""
    kind = tuple(kind) if isinstance(kind, (list, tuple)) else kind
    return _listing(ctx, metrics.evaluation_list, metrics.evaluation_count, scope=scope, kind=kind)


def inflation_list(ctx) -> Listing:
    return _listing(ctx, metrics.inflation_list, metrics.inflation_total)


def inflation_count(ctx) -> tuple[int, int]:
    return _metric(metrics.inflation_count, ctx)


def result_application(ctx):
    return _metric(metrics.result_application, ctx)


def findings_by_department(ctx):
    return _metric(metrics.findings_by_department, ctx)


def findings_list(ctx, statuses=(), overdue: bool | None = None, buckets=(), scope=None) -> Listing:
    """Findings with any of the statuses, overdue or not (both when None), in any of the age buckets."""
    return _listing(ctx, metrics.findings_list, metrics.findings_count, scope=scope, statuses=tuple(statuses),
                    overdue=overdue, buckets=tuple(buckets))


def open_findings(ctx, scope=None) -> Listing:
    """Every finding not yet closed (未整改 / 整改中), overdue or not."""
    return _listing(ctx, metrics.open_findings, metrics.open_count, scope=scope)


def age_buckets(ctx):
    return _metric(metrics.age_buckets, ctx)


def closure_trend(ctx):
    return _metric(metrics.closure_trend, ctx)


def _project_rows(q, limit=None, offset=0, **filters):
    return metrics.search_projects(q, limit=limit, offset=offset, **filters)[0]


def search_projects(ctx, text: str = "", grade=(), light=(), status=(), scope=None) -> Listing:
    """Projects matching the search and filters (each one value or a tuple of them), largest budget first."""
    return _listing(ctx, _project_rows, metrics.count_projects, scope=scope, text=" ".join((text or "").split()),
                    grade=many(grade), light=many(light),
                    status=many(status))


# ---- departments and projects --------------------------------------------------------------------------

def department_ranking(ctx, year: int | None = None):
    return _metric(metrics.department_ranking, ctx, scope=scope_for(ctx, year=year or ctx.scope.year))


def department_trend(ctx, department_id: int):
    return _metric(metrics.department_trend, ctx, int(department_id))


def project_card(ctx, project_id: int):
    return _metric(metrics.project_card, ctx, int(project_id))


def department_wide_detail(ctx, department_id: int) -> dict | None:
    """One department's 部门整体 form of the year (metrics.department_wide_detail): form, tasks, indicators."""
    return _metric(metrics.department_wide_detail, ctx, int(department_id))


# ---- performance indicators (issue 12) -----------------------------------------------------------------

def indicator_totals(ctx, scope=None) -> dict:
    return _metric(metrics.indicator_totals, ctx, scope=scope)


def indicators_by_department(ctx):
    return _metric(metrics.indicators_by_department, ctx)


def unmet_indicators(ctx) -> Listing:
    """Every indicator judged 未完成 at its project's most advanced stage."""
    return _listing(ctx, metrics.unmet_indicators, metrics.unmet_indicators_count)


def risky_indicators(ctx) -> Listing:
    """Every monitoring indicator reported 完全不可能 or 有可能."""
    return _listing(ctx, metrics.risky_indicators, metrics.risky_indicators_count)


def target_quality(ctx) -> Listing:
    """Every project whose targets are incomplete (missing 产出 / 效益 / 满意度, or unquantified targets)."""
    return _listing(ctx, metrics.target_quality, metrics.target_quality_count)


def target_quality_by_department(ctx):
    return _metric(metrics.target_quality_by_department, ctx)


def project_indicators(ctx, project_id: int):
    return _metric(metrics.project_indicators, ctx, int(project_id))


# ---- result application (结果应用台账, issue 25) ------------------------------------------------------------

APPLICATION_FLAGS = metrics.APPLICATION_FLAGS  # rule id → what it flags (RA1 … RA5)


def application_ledger(ctx, flag: str | None = None) -> Listing:
    """Every evaluated project (or those with one flag "RA1"/"RA2"/"RA3", or "any"), most concern first."""
    return _listing(ctx, metrics.application_ledger, metrics.application_ledger_count, flag=flag)


def ledger_totals(ctx) -> dict:
    return _metric(metrics.ledger_totals, ctx)


def policy_list(ctx) -> Listing:
    """Every policy evaluated in the year or before, with its due year; overdue and due first."""
    return _listing(ctx, metrics.policy_list, metrics.policy_count)


def policy_totals(ctx) -> dict:
    return _metric(metrics.policy_totals, ctx)


def result_classes(ctx):
    return _metric(metrics.result_classes, ctx)
