"""The calling convention of every metric: the `Query` value, `prepare` (facts once per data version), scope conditions.

Every public metric takes a `Query` first. Its `version` is the data version `prepare(url)` brought
project_facts up to, so metrics only read that table and key their in-process caches on the version;
they never rebuild it themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import and_, exists, func, select

from dashboard.core.db import data_version, get_engine
from dashboard.core.models import Department, Project, ProjectFacts
from dashboard.core.rules import DEFAULT_RULES
from dashboard.core.settings import Rules
from dashboard.metrics.facts import ensure_facts


@dataclass(frozen=True)
class Scope:
    """What the global filters select: a year, optionally some 主管部门 (ids) and a fund source.

    `limit` is what the viewer may see at all (a department-limited account: its departments' ids; () =
    every department). It is enforced here, whatever a page asks: `departments` is always clamped into
    `limit`, and asking for none or only others gives every department of the limit, never "all".
    Only `whole` (per-department aggregates later filtered by `departments`) and the ranking's
    position-among-all (metrics.departments, which then drops the other departments' rows) look past it.
    """

    year: int
    departments: tuple[int, ...] = ()
    fund_source: str | None = None
    limit: tuple[int, ...] = ()

    def __post_init__(self):
        if self.limit:
            allowed = set(self.limit)
            kept = tuple(sorted(d for d in self.departments if d in allowed)) or tuple(sorted(allowed))
            object.__setattr__(self, "departments", kept)


@dataclass(frozen=True)
class Query:
    """What a metric is asked about: the database at a data version, a scope, the rules and the day judged on.

    Every field is a hashable scalar or frozen value, so a Query is a cache key as it is.
    """

    url: str
    version: int
    scope: Scope
    rules: Rules = DEFAULT_RULES
    today: dt.date = field(default_factory=dt.date.today)

    def scoped(self, **changes) -> Query:
        """The same query over a scope with some fields changed (year=…, departments=…, fund_source=…)."""
        return dataclasses.replace(self, scope=dataclasses.replace(self.scope, **changes))


def prepare(url: str) -> int:
    """Bring project_facts up to the current data version and return that version (for `Query.version`).

    Call once per data version before asking metrics (the UI data layer and the summary do).
    """
    version = data_version(url)
    ensure_facts(url, version)
    return version


# Every in-process aggregate cache, so clear_caches can empty them all (the benchmark's cold runs; tests).
_CACHES: list = []


def cached(maxsize: int = 64):
    """functools.lru_cache, registered with clear_caches. Keys must be hashable values (Query, Scope, ...).

    Single flight: callers asking for the same key at once (sessions opening together, the warming thread and
    a first visit) wait for one computation instead of each running the same aggregate."""
    def wrap(fn):
        memo = functools.lru_cache(maxsize=maxsize)(fn)
        guard = threading.Lock()
        flights: dict = {}  # key → lock, only while it is being computed

        @functools.wraps(fn)
        def call(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            with guard:
                flight = flights.setdefault(key, threading.Lock())
            try:
                with flight:
                    return memo(*args, **kwargs)
            finally:
                with guard:
                    if flights.get(key) is flight:
                        del flights[key]

        call.cache_clear = memo.cache_clear
        call.cache_info = memo.cache_info
        _CACHES.append(memo)
        return call
    return wrap


def clear_caches() -> None:
    """Forget every in-process aggregate."""
    for memo in _CACHES:
        memo.cache_clear()


def scope_where(table, scope: Scope) -> list:
    """The scope's conditions on a table with year and department_id: projects, project_facts, evaluations, findings.

    Tables without a fund source of their own (evaluations, findings) keep, under a fund-source filter,
    only rows linked to a project of that fund source.
    """
    conds = [table.year == scope.year]
    if scope.departments:
        conds.append(table.department_id.in_(scope.departments))
    if scope.fund_source:
        if hasattr(table, "fund_source"):
            conds.append(table.fund_source == scope.fund_source)
        else:
            # an alias of its own: a query that also joins projects would otherwise correlate the
            # subquery away ("returned no FROM clauses due to auto-correlation")
            linked = Project.__table__.alias("fund_scope_project")
            conds.append(exists().where(and_(linked.c.id == table.project_id,
                                             linked.c.fund_source == scope.fund_source)))
    return conds


def whole(scope: Scope) -> Scope:
    """The scope over every department: per-department aggregates are cached for it and then filtered by
    `scope.departments` (never empty under a limit, so a limited viewer still gets only its own rows)."""
    return dataclasses.replace(scope, departments=(), limit=())


def rows(url: str, stmt) -> list:
    with get_engine(url).connect() as conn:
        return conn.execute(stmt).all()


def frame(url: str, stmt, columns: list[str] | None = None) -> pd.DataFrame:
    with get_engine(url).connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.all(), columns=columns or list(result.keys()))


def paged(stmt, limit: int | None, offset: int = 0):
    """stmt limited to one page: `limit` rows (all when None) from `offset` on. Lists order on a unique key
    last, so consecutive pages neither skip nor repeat a row."""
    if offset:
        stmt = stmt.offset(int(offset))
    return stmt if limit is None else stmt.limit(int(limit))


def count_rows(url: str, stmt) -> int:
    """How many rows stmt returns, counted in SQL (its order and paging dropped)."""
    sub = stmt.order_by(None).limit(None).offset(None).subquery()
    return int(rows(url, select(func.count()).select_from(sub))[0][0])


def many(values) -> tuple:
    """A filter's chosen values as a tuple: None or "" → (), one value → (value,), a sequence as it is."""
    if values is None or values == "":
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(values)


def sums_by(df: pd.DataFrame, key: str, value: str, names) -> dict:
    """{name: int(sum of `value` over the rows whose `key` is name)} for each of `names` (0 for a name without
    rows): one grouping instead of a filter per name (issue 28: the headline figures summed five grades, six
    kinds and three statuses one filter at a time)."""
    sums = df.groupby(key, sort=False)[value].sum() if len(df) else pd.Series(dtype="int64")
    return {n: int(sums.get(n, 0)) for n in names}


def ratio(part, whole_) -> float | None:
    return float(part) / float(whole_) if whole_ else None


@cached()
def latest_dates(url: str, version: int, scope: Scope) -> tuple[dt.date, ...]:
    """The distinct as-of dates of the latest records in the scope's year and fund source (every department)."""
    pf = ProjectFacts
    stmt = select(pf.as_of).distinct().where(*scope_where(pf, whole(scope)), pf.as_of.is_not(None))
    return tuple(sorted(r[0] for r in rows(url, stmt)))


def dates_of(q: Query) -> tuple[dt.date, ...]:
    return latest_dates(q.url, q.version, whole(q.scope))


@cached(maxsize=16)
def department_names(url: str, version: int) -> dict[int, str]:
    return dict(rows(url, select(Department.id, Department.name)))


def with_names(q: Query, df: pd.DataFrame) -> pd.DataFrame:
    """`df` with a `department` name column after its `department_id`."""
    df.insert(1, "department", df["department_id"].map(department_names(q.url, q.version)))
    return df
