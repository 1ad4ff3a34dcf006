"""Coverage figures: targets, monitoring and evaluation by 主管部门, by fund source and by evaluation kind."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import String, case, cast, distinct, func, literal, or_, select

from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import Evaluation as E
from dashboard.core.models import Project as P
from dashboard.core.models import Unit as U
from dashboard.core.vocab import EVALUATION_KINDS
from dashboard.metrics.aggregates import dept_projects
from dashboard.metrics.query import Query, count_rows, frame, paged, ratio, rows, scope_where, with_names
from dashboard.metrics.totals import project_totals

BUDGET = RS.budget_base(P.adjusted_budget, P.initial_budget)


def _with_coverage(df: pd.DataFrame) -> pd.DataFrame:
    """R.coverage by count and by funds, row by row."""
    df["coverage_count"] = (df["target_projects"] / df["projects"]).where(df["projects"] > 0)
    df["coverage_funds"] = (df["target_budget"] / df["budget"]).where(df["budget"] > 0)
    return df


def coverage_by_department(q: Query) -> pd.DataFrame:
    """Target, monitoring and evaluation coverage per 主管部门 (by count and by money)."""
    d = dept_projects(q).reset_index()
    df = _with_coverage(with_names(q, d[["department_id", "projects", "budget", "target_projects", "target_budget",
                                         "monitored_projects", "monitored_target_projects", "evaluated_budget"]]))
    # of the projects that must report (those with targets), the share that did
    df["monitoring_coverage"] = (df["monitored_target_projects"] / df["target_projects"]).where(
        df["target_projects"] > 0)
    df["evaluation_coverage"] = (df["evaluated_budget"] / df["budget"]).where(df["budget"] > 0)
    return df.sort_values("department").reset_index(drop=True)


def coverage_by_fund_source(q: Query) -> pd.DataFrame:
    """Target coverage per fund source (projects without one under 未填资金来源), largest budget first."""
    has_target = P.has_target.is_(True)
    # a plain string: the column's Enum type would refuse 未填资金来源 when the rows are read back
    source = func.coalesce(cast(P.fund_source, String), literal("未填资金来源", String), type_=String)
    stmt = (
        select(
            source.label("fund_source"),
            func.count(P.id).label("projects"),
            func.coalesce(func.sum(BUDGET), 0.0).label("budget"),
            func.sum(case((has_target, 1), else_=0)).label("target_projects"),
            func.coalesce(func.sum(case((has_target, BUDGET), else_=0.0)), 0.0).label("target_budget"),
        )
        .where(*scope_where(P, q.scope))
        .group_by(source)
        .order_by(func.sum(BUDGET).desc())
    )
    return _with_coverage(frame(q.url, stmt))


def evaluation_coverage_by_kind(q: Query) -> pd.DataFrame:
    """Money evaluated ÷ total budget, by evaluation kind (project evaluations only)."""
    total = project_totals(q)["budget_total"]
    stmt = (
        select(E.kind, func.count(distinct(P.id)), func.coalesce(func.sum(BUDGET), 0.0))
        .join(P, P.id == E.project_id)
        .where(*scope_where(P, q.scope), E.year == q.scope.year)
        .group_by(E.kind)
    )
    got = {k: (n, b) for k, n, b in rows(q.url, stmt)}
    return pd.DataFrame([
        {
            "kind": k,
            "evaluated_projects": int(got.get(k, (0, 0.0))[0]),
            "evaluated_budget": float(got.get(k, (0, 0.0))[1]),
            "coverage_funds": ratio(got.get(k, (0, 0.0))[1], total),
        }
        for k in EVALUATION_KINDS
    ])


def _without_targets(q: Query):
    return (
        select(
            P.id.label("project_id"), P.code, P.name, D.name.label("department"), U.name.label("unit"),
            P.fund_source, BUDGET.label("budget"),
        )
        .join(D, D.id == P.department_id)
        .outerjoin(U, U.id == P.unit_id)
        .where(*scope_where(P, q.scope), or_(P.has_target.is_(False), P.has_target.is_(None)))
        .order_by(BUDGET.desc().nulls_last(), P.id)
    )


def projects_without_targets(q: Query, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Money without performance targets: projects whose 是否设定绩效目标 is 否 or blank, largest first
    (every one when limit is None, else one page)."""
    return frame(q.url, paged(_without_targets(q), limit, offset))


def projects_without_targets_total(q: Query) -> tuple[int, float]:
    """(how many projects have no targets, their budget in 万元) — the whole list, not a page."""
    sub = _without_targets(q).order_by(None).subquery()
    n, money = rows(q.url, select(func.count(), func.coalesce(func.sum(sub.c.budget), 0.0)).select_from(sub))[0]
    return int(n), float(money)


def projects_without_targets_count(q: Query) -> int:
    return count_rows(q.url, _without_targets(q))
