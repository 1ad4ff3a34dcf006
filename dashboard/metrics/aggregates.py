"""The per-department base aggregates every scope-level figure is summed from, cached per data version.

Each is computed once per (data version, year, fund source, rules or today) over every department and
kept in a bounded in-process cache; a department filter only selects rows. Callers get copies.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, case, distinct, func, literal, select

from dashboard.core import rules_sql as RS
from dashboard.core.models import Evaluation as E
from dashboard.core.models import ProjectFacts as PF
from dashboard.core.settings import Rules
from dashboard.core.vocab import GREEN, GREY, RED, YELLOW
from dashboard.metrics.query import (
    Query,
    Scope,
    cached,
    dates_of,
    frame,
    latest_dates,
    rows,
    scope_where,
    whole,
)

LIGHT_COLUMNS = [GREEN, YELLOW, RED, GREY]
_DEPT_COLUMNS = ["projects", "units", "budget", "target_projects", "target_budget", "monitored_projects",
                 "monitored_target_projects", "evaluated_budget", *LIGHT_COLUMNS, "executed", "base", "as_of"]


def rate_pct():
    """Each fact's execution rate in percent (R.execution_rate of its latest record)."""
    return RS.execution_rate_pct(PF.executed, PF.base)


def _light(dates: tuple[dt.date, ...], rules: Rules):
    return RS.warning_light(PF.as_of, rate_pct(), PF.lag, PF.target_lag, dates, rules)


def light(q: Query):
    """Each fact's warning light under q.rules (no latest record → grey), from its stored lags."""
    return _light(dates_of(q), q.rules)


def _project_sums(url: str, version: int, scope: Scope, rules: Rules):
    """Per department and light: counts and money of the facts in scope (one grouped scan)."""
    has_target = PF.has_target.is_(True)
    rate_ok = and_(PF.executed.is_not(None), PF.base > 0)
    lit = _light(latest_dates(url, version, whole(scope)), rules)

    def total(value, when):
        return func.coalesce(func.sum(case((when, value), else_=0.0)), 0.0)

    def count(when):
        return func.sum(case((when, 1), else_=0))

    return (
        select(
            PF.department_id, lit.label("light"), func.count().label("n"),
            count(has_target).label("target_projects"),
            func.coalesce(func.sum(PF.budget), 0.0).label("budget"),
            total(PF.budget, has_target).label("target_budget"),
            count(PF.as_of.is_not(None)).label("monitored_projects"),
            count(and_(PF.as_of.is_not(None), has_target)).label("monitored_target_projects"),
            total(PF.budget, PF.evaluated.is_(True)).label("evaluated_budget"),
            total(PF.executed, rate_ok).label("executed"),
            total(PF.base, rate_ok).label("base"),
            func.max(PF.as_of).label("as_of"),
        )
        .where(*scope_where(PF, scope))
        .group_by(PF.department_id, lit)
    )


@cached()
def _dept_projects(url: str, version: int, scope: Scope, rules: Rules) -> pd.DataFrame:
    raw = frame(url, _project_sums(url, version, scope, rules))
    units = dict(rows(url, select(PF.department_id, func.count(distinct(PF.unit_id)))
                      .where(*scope_where(PF, scope)).group_by(PF.department_id)))
    if raw.empty:
        return pd.DataFrame(columns=_DEPT_COLUMNS, index=pd.Index([], name="department_id"))
    # lights: grey counts only projects that should have reported (with targets)
    raw["lit"] = raw["n"].where(raw["light"] != GREY, raw["target_projects"])
    lights = raw.pivot_table(index="department_id", columns="light", values="lit", aggfunc="sum", fill_value=0)
    for name in LIGHT_COLUMNS:
        if name not in lights.columns:
            lights[name] = 0
    sums = raw.groupby("department_id").agg(
        projects=("n", "sum"), budget=("budget", "sum"),
        target_projects=("target_projects", "sum"), target_budget=("target_budget", "sum"),
        monitored_projects=("monitored_projects", "sum"),
        monitored_target_projects=("monitored_target_projects", "sum"), evaluated_budget=("evaluated_budget", "sum"),
        executed=("executed", "sum"), base=("base", "sum"), as_of=("as_of", "max"))
    out = sums.join(lights[LIGHT_COLUMNS].astype(int))
    out["units"] = out.index.map(units).fillna(0).astype(int)
    return out[_DEPT_COLUMNS]


def dept_projects(q: Query) -> pd.DataFrame:
    """Per 主管部门 of the scope: projects, units, budget, targets, monitoring, evaluated money, lights, execution.

    A department filter selects rows of the aggregate over every department (one row per department either way,
    the same figures): the aggregate of the whole year is computed once (the warming thread has it for the
    latest year) and a department's first visit no longer queries its own (issue 28: each session of the
    50-session load opens another department)."""
    if q.scope.departments:
        df = _dept_projects(q.url, q.version, whole(q.scope), q.rules)
        df = df[df.index.isin(q.scope.departments)]
        if not df.empty:
            return df.copy()
        return pd.DataFrame(columns=_DEPT_COLUMNS, index=pd.Index([], name="department_id"))
    return _dept_projects(q.url, q.version, q.scope, q.rules).copy()


def grade_or_unrated(rules: Rules):
    return func.coalesce(RS.grade(E.score, E.grade, rules), literal("未评级"))


@cached()
def _dept_evaluations(url: str, version: int, scope: Scope, rules: Rules) -> pd.DataFrame:
    grade = grade_or_unrated(rules)
    stmt = (
        select(E.department_id, E.kind, grade.label("grade"), func.count().label("n"),
               func.coalesce(func.sum(E.score), 0.0).label("score_sum"), func.count(E.score).label("scored"))
        .where(*scope_where(E, scope))
        .group_by(E.department_id, E.kind, grade)
    )
    return frame(url, stmt)


def _in_scope(df: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    if scope.departments:
        df = df[df["department_id"].isin(scope.departments)]
    return df.copy()


def dept_evaluations(q: Query) -> pd.DataFrame:
    """Per department, kind and grade: number of evaluations, score sum and number scored."""
    return _in_scope(_dept_evaluations(q.url, q.version, whole(q.scope), q.rules), q.scope)


def inflation_flagged(rules: Rules):
    """R.self_evaluation_inflation(...).flagged of each fact's self and independent evaluations."""
    return RS.inflation_flagged(PF.self_score, PF.self_grade, PF.independent_score, PF.independent_grade, rules)


def has_inflation_pair():
    """The fact has a 单位自评 (score or grade) and an independent evaluation (INDEPENDENT_KINDS)."""
    return and_(PF.independent_kind.is_not(None),  # facts store one of INDEPENDENT_KINDS or NULL
                (PF.self_score.is_not(None)) | (PF.self_grade.is_not(None)))


@cached()
def _dept_inflation(url: str, version: int, scope: Scope, rules: Rules) -> pd.Series:
    stmt = (select(PF.department_id, func.count())
            .where(*scope_where(PF, scope), has_inflation_pair(), inflation_flagged(rules))
            .group_by(PF.department_id))
    return pd.Series(dict(rows(url, stmt)), dtype="int64")


def dept_inflation(q: Query) -> pd.Series:
    """Per department: projects whose self-evaluation is flagged as inflated."""
    flags = _dept_inflation(q.url, q.version, whole(q.scope), q.rules)
    return flags[flags.index.isin(q.scope.departments)] if q.scope.departments else flags
