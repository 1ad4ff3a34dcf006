"""Project queries: the paged project search and one project's whole lifecycle card."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from dashboard import rules as R
from dashboard import rules_sql as RS
from dashboard.metrics import aggregates as A
from dashboard.metrics.query import Query, frame, rows, scope_where
from dashboard.models import Department as D
from dashboard.models import Evaluation as E
from dashboard.models import Finding as F
from dashboard.models import MonitoringRecord as M
from dashboard.models import Project as P
from dashboard.models import ProjectFacts as PF
from dashboard.models import Unit as U
from dashboard.vocab import EVALUATION_KINDS, GREY, INDEPENDENT_KINDS, RECTIFIED, SELF_KIND

# The evaluation shown for a project: the most independent one (抽查复核 > 财政重点评价 > 部门评价 > 单位自评).
_SHOWN_FIRST = (*INDEPENDENT_KINDS, *(k for k in EVALUATION_KINDS if k not in (*INDEPENDENT_KINDS, SELF_KIND)),
                SELF_KIND)
_KIND_PRIORITY = case(*[(E.kind == k, i) for i, k in enumerate(_SHOWN_FIRST, 1)], else_=len(_SHOWN_FIRST) + 1)


def _search_conditions(q: Query, text: str, grade: str | None, light: str | None, status: str | None) -> list:
    conds = list(scope_where(PF, q.scope))
    if text:
        pattern = f"%{text}%"
        conds.append(or_(P.name.like(pattern), P.code.like(pattern), D.name.like(pattern)))
    if grade:
        conds.append(exists().where(and_(E.project_id == PF.project_id, RS.grade(E.score, E.grade, q.rules) == grade)))
    if light:
        conds.append(A.light(q) == light)
    if status:
        conds.append(exists().where(and_(F.project_id == PF.project_id, F.status == status)))
    return conds


def search_projects(q: Query, text: str = "", grade: str | None = None, light: str | None = None,
                    status: str | None = None, limit: int = 50, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Projects matching a name/code/department search and filters, largest budget first, one page at a time.

    `grade` matches any evaluation of the project; `status` any of its findings; the grade and score shown
    are the most independent evaluation's (抽查复核 > 财政重点评价 > 部门评价 > 单位自评).
    """
    text = " ".join((text or "").split())
    conds = _search_conditions(q, text, grade, light, status)

    def joined(stmt):
        return stmt.join(P, P.id == PF.project_id).join(D, D.id == PF.department_id)

    counting = select(func.count()).select_from(PF)
    total = rows(q.url, (joined(counting) if text else counting).where(*conds))[0][0]
    best = (select(E.id).where(E.project_id == PF.project_id).order_by(_KIND_PRIORITY, E.id).limit(1)
            .correlate(PF).scalar_subquery())
    shown = aliased(E)
    open_findings = (select(func.count()).where(F.project_id == PF.project_id, F.status != RECTIFIED)
                     .correlate(PF).scalar_subquery())
    stmt = (
        joined(select(
            PF.project_id, P.year, P.code, P.name, D.name.label("department"), U.name.label("unit"),
            PF.budget, PF.has_target, A.light(q).label("light"), (A.rate_pct() / 100).label("execution_rate"),
            RS.grade(shown.score, shown.grade, q.rules).label("grade"), shown.score.label("score"),
            open_findings.label("open_findings"),
        ))
        .outerjoin(U, U.id == PF.unit_id)
        .outerjoin(shown, shown.id == best)
        .where(*conds)
        .order_by(PF.budget.desc().nulls_last(), PF.project_id)
        .limit(limit)
        .offset(offset)
    )
    df = frame(q.url, stmt)
    # grey means "should have reported": a project without targets and without a record has no light
    without_target = ~df["has_target"].astype("boolean").fillna(False)
    df.loc[(df["light"] == GREY) & without_target, "light"] = None
    return df, int(total)


def _monitoring(q: Query, project_id: int, budget: float | None) -> pd.DataFrame:
    mon = frame(q.url, select(M.as_of, M.adjusted_budget, M.executed, M.target_progress, M.deviation_reason,
                              M.likelihood, M.needs_rectification, M.rectification_requirement)
                .where(M.project_id == project_id).order_by(M.as_of))
    mon["execution_rate"] = [R.execution_rate(ex, adj, budget) for ex, adj in zip(mon["executed"],
                                                                                  mon["adjusted_budget"])]
    mon["time_progress"] = [R.time_progress(d) for d in mon["as_of"]]
    mon["light"] = [R.warning_light(d, r, None if pd.isna(tp) else tp, q.rules)
                    for d, r, tp in zip(mon["as_of"], mon["execution_rate"], mon["target_progress"])]
    return mon


def _next_year(q: Query, project: dict, budget: float | None) -> dict | None:
    """The same project code in the following year, with its budget and the change (万元)."""
    if not project["code"]:
        return None
    nxt = rows(q.url, select(P.id, P.year, RS.budget_base(P.adjusted_budget, P.initial_budget))
               .where(P.year == project["year"] + 1, P.code == project["code"]))
    if not nxt:
        return None
    nid, nyear, nbudget = nxt[0]
    return {"project_id": nid, "year": nyear, "budget": nbudget,
            "change": (nbudget - budget) if nbudget is not None and budget is not None else None}


_CARD_KEYS = ["id", "year", "code", "name", "department", "unit", "category", "fund_source", "initial_budget",
              "adjusted_budget", "has_target", "target_grade", "ex_ante_result", "is_key", "department_id"]


def project_card(q: Query, project_id: int) -> dict | None:
    """One project's whole lifecycle: target → monitoring → evaluations → findings → next year's budget.

    Any year and department (q's scope is not used); q.rules and q.today judge lights, grades and overdue."""
    head = rows(q.url, select(
        P.id, P.year, P.code, P.name, D.name, U.name, P.category, P.fund_source, P.initial_budget,
        P.adjusted_budget, P.has_target, P.target_grade, P.ex_ante_result, P.is_key, P.department_id,
    ).join(D, D.id == P.department_id).outerjoin(U, U.id == P.unit_id).where(P.id == project_id))
    if not head:
        return None
    project = dict(zip(_CARD_KEYS, head[0]))
    budget = R.budget_base(project["adjusted_budget"], project["initial_budget"])
    evals = frame(q.url, select(E.kind, E.score, RS.grade(E.score, E.grade, q.rules).label("grade"), E.evaluator,
                                E.deputies_participated, E.main_problems, E.result_application,
                                E.next_year_budget_change)
                  .where(E.project_id == project_id).order_by(_KIND_PRIORITY.desc(), E.id))
    finds = frame(q.url, select(F.source, F.description, F.requirement, F.deadline, F.status, F.completed_on,
                                F.measures, F.amount)
                  .where(F.project_id == project_id).order_by(F.deadline.nulls_last(), F.id))
    finds["days_overdue"] = [R.days_overdue(s, d, q.today) for s, d in zip(finds["status"], finds["deadline"])]
    return {"project": project, "monitoring": _monitoring(q, project_id, budget), "evaluations": evals,
            "findings": finds, "next_year": _next_year(q, project, budget)}
