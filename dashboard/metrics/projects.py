"""Project queries: the paged project search and one project's whole lifecycle card."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, exists, func, null, or_, select
from sqlalchemy.orm import aliased

from dashboard.core import rules as R
from dashboard.core import rules_sql as RS
from dashboard.core.models import Department as D
from dashboard.core.models import Evaluation as E
from dashboard.core.models import Finding as F
from dashboard.core.models import MonitoringRecord as M
from dashboard.core.models import Project as P
from dashboard.core.models import ProjectFacts as PF
from dashboard.core.models import Unit as U
from dashboard.core.vocab import EVALUATION_KINDS, GREY, INDEPENDENT_KINDS, RECTIFIED, SELF_KIND
from dashboard.metrics import aggregates as A
from dashboard.metrics.query import Query, frame, many, paged, rows, scope_where

# The evaluation shown for a project: the most independent one (抽查复核 > 财政重点评价 > 部门评价 > 单位自评).
_SHOWN_FIRST = (*INDEPENDENT_KINDS, *(k for k in EVALUATION_KINDS if k not in (*INDEPENDENT_KINDS, SELF_KIND)),
                SELF_KIND)
_KIND_PRIORITY = case(*[(E.kind == k, i) for i, k in enumerate(_SHOWN_FIRST, 1)], else_=len(_SHOWN_FIRST) + 1)


def shown_light(q: Query):
    """The light shown for a project: the latest record's (A.light); grey only for a project with targets
    ("should have reported") — one without targets and without a record has none. Column and filter alike."""
    lit = A.light(q)
    without_target = or_(PF.has_target.is_(False), PF.has_target.is_(None))
    return case((and_(lit == GREY, without_target), null()), else_=lit)


def _shown_evaluation():
    """The id of the evaluation shown for a project: the most independent one, the earliest of that kind."""
    return (select(E.id).where(E.project_id == PF.project_id).order_by(_KIND_PRIORITY, E.id).limit(1)
            .correlate(PF).scalar_subquery())


_SHOWN = aliased(E, name="shown_evaluation")


def shown_grade(q: Query):
    """The grade shown for a project (that of `_shown_evaluation`, re-derived from its score): the 等级 column
    and the 等级 filter are this one expression. Needs the outer join on `_SHOWN` that `_search_from` adds."""
    return RS.grade(_SHOWN.score, _SHOWN.grade, q.rules)


def _search_from(stmt, with_names: bool = True, with_shown: bool = True):
    if with_names:
        stmt = stmt.join(P, P.id == PF.project_id).join(D, D.id == PF.department_id)
    return stmt.outerjoin(_SHOWN, _SHOWN.id == _shown_evaluation()) if with_shown else stmt


def _search_conditions(q: Query, text: str, grades, lights, statuses) -> list:
    conds = list(scope_where(PF, q.scope))
    if text:
        pattern = f"%{text}%"
        conds.append(or_(P.name.like(pattern), P.code.like(pattern), D.name.like(pattern)))
    if many(grades):
        conds.append(shown_grade(q).in_(many(grades)))
    if many(lights):
        conds.append(shown_light(q).in_(many(lights)))
    if many(statuses):
        conds.append(exists().where(and_(F.project_id == PF.project_id, F.status.in_(many(statuses)))))
    return conds


def count_projects(q: Query, text: str = "", grade=(), light=(), status=()) -> int:
    """How many projects search_projects(q, …) finds in all."""
    text = " ".join((text or "").split())
    conds = _search_conditions(q, text, grade, light, status)
    counting = _search_from(select(func.count()).select_from(PF), with_names=bool(text), with_shown=bool(many(grade)))
    return int(rows(q.url, counting.where(*conds))[0][0])


def search_projects(q: Query, text: str = "", grade=(), light=(), status=(), limit: int | None = 50,
                    offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Projects matching a name/code/department search and filters, largest budget first, one page at a time
    (every one when limit is None), with the count of all that match.

    `grade`, `light` and `status` each take one value or several (any of them matches). The grade and light
    filters match the 等级 and 预警 shown (`shown_grade`, `shown_light`: the most independent evaluation,
    抽查复核 > 财政重点评价 > 部门评价 > 单位自评); `status` matches a project with any finding in that status.
    """
    text = " ".join((text or "").split())
    conds = _search_conditions(q, text, grade, light, status)
    total = count_projects(q, text, grade, light, status)
    open_findings = (select(func.count()).where(F.project_id == PF.project_id, F.status != RECTIFIED)
                     .correlate(PF).scalar_subquery())
    stmt = (
        _search_from(select(
            PF.project_id, P.year, P.code, P.name, D.name.label("department"), U.name.label("unit"),
            PF.budget, PF.has_target, shown_light(q).label("light"), (A.rate_pct() / 100).label("execution_rate"),
            shown_grade(q).label("grade"), _SHOWN.score.label("score"),
            open_findings.label("open_findings"),
        ).select_from(PF))
        .outerjoin(U, U.id == PF.unit_id)
        .where(*conds)
        .order_by(PF.budget.desc().nulls_last(), PF.project_id)
    )
    return frame(q.url, paged(stmt, limit, offset)), total


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
    """The same project code in the following year, with its budget and the change (万元). Only a project the
    viewer may see: under a department limit (q.scope.limit) next year's project of another department with
    the same code is not this card's next year (issue 23: a limited account saw its 下年预算)."""
    if not project["code"]:
        return None
    limit = (P.department_id.in_(q.scope.limit),) if q.scope.limit else ()
    nxt = rows(q.url, select(P.id, P.year, RS.budget_base(P.adjusted_budget, P.initial_budget))
               .where(P.year == project["year"] + 1, P.code == project["code"], *limit).order_by(P.id))
    if not nxt:
        return None
    nid, nyear, nbudget = nxt[0]
    return {"project_id": nid, "year": nyear, "budget": nbudget,
            "change": (nbudget - budget) if nbudget is not None and budget is not None else None}


_CARD_KEYS = ["id", "year", "code", "name", "department", "unit", "category", "fund_source", "initial_budget",
              "adjusted_budget", "has_target", "target_grade", "ex_ante_result", "is_key", "department_id"]


def project_card(q: Query, project_id: int) -> dict | None:
    """One project's whole lifecycle: target → monitoring → evaluations → findings → next year's budget.

    Any year and department (q's scope is not used, except its limit: a project outside it is None);
    q.rules and q.today judge lights, grades and overdue."""
    limit = (P.department_id.in_(q.scope.limit),) if q.scope.limit else ()
    head = rows(q.url, select(
        P.id, P.year, P.code, P.name, D.name, U.name, P.category, P.fund_source, P.initial_budget,
        P.adjusted_budget, P.has_target, P.target_grade, P.ex_ante_result, P.is_key, P.department_id,
    ).join(D, D.id == P.department_id).outerjoin(U, U.id == P.unit_id).where(P.id == project_id, *limit))
    if not head:
        return None
    project = dict(zip(_CARD_KEYS, head[0]))
    budget = R.budget_base(project["adjusted_budget"], project["initial_budget"])
    project["budget"] = budget  # the base of the execution rate (adjusted, else initial)
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
