"""Department-wide performance (部门整体绩效目标表 / 自评表) figures, in SQL: per department and year the budget split
(基本支出 / 项目支出, 万元), the 重点工作任务 with their amounts and the indicators, and the scope's totals that
`summary --json` prints under `department_wide`.

A department may have a 目标 and a 自评 form of the same year; each department counts once, at its most advanced
stage (自评 over 目标), and its tasks and indicators are that stage's. The scope's year and departments (its
limit included) apply; a fund-source filter does not (a department's whole budget has no fund source).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, select

from dashboard.core.models import DEPARTMENT_WIDE_STAGES
from dashboard.core.models import DepartmentIndicator as DI
from dashboard.core.models import DepartmentTask as DT
from dashboard.core.models import DepartmentWide as DW
from dashboard.metrics.query import Query, frame, rows, with_names

_RANK = {stage: i for i, stage in enumerate(DEPARTMENT_WIDE_STAGES)}  # 目标 0, 自评 1


def _rank(col):
    return case(*[(col == s, literal(r)) for s, r in _RANK.items()], else_=literal(-1))


def _where(table, q: Query, department_id: int | None = None) -> list:
    conds = [table.year == q.scope.year]
    if q.scope.departments:
        conds.append(table.department_id.in_(q.scope.departments))
    if department_id is not None:
        conds.append(table.department_id == int(department_id))
    return conds


def _chosen(q: Query, department_id: int | None = None):
    """(department_id, rank) of each department in scope with a form: its most advanced stage."""
    return (select(DW.department_id.label("department_id"), func.max(_rank(DW.stage)).label("rank"))
            .where(*_where(DW, q, department_id)).group_by(DW.department_id).subquery())


def _on(best, table):
    return and_(best.c.department_id == table.department_id, _rank(table.stage) == best.c.rank)


def department_wide_totals(q: Query) -> dict:
    """{"departments", "budget_total" (万元, 2 decimals), "indicators"} of the scope's department-wide forms."""
    best = _chosen(q)
    dw = rows(q.url, select(func.count(), func.sum(DW.total_budget)).select_from(DW).join(best, _on(best, DW))
              .where(DW.year == q.scope.year))[0]
    n_ind = rows(q.url, select(func.count()).select_from(DI).join(best, _on(best, DI))
                 .where(DI.year == q.scope.year))[0][0]
    return {"departments": int(dw[0] or 0), "budget_total": round(float(dw[1] or 0.0), 2),
            "indicators": int(n_ind or 0)}


def department_wide(q: Query) -> pd.DataFrame:
    """One row per department in scope with a form: department_id, department, stage, staff_count, sub_unit_count,
    basic_budget, project_budget, total_budget, executed, tasks, tasks_amount, indicators (its chosen stage's)."""
    best = _chosen(q)
    tasks = (select(DT.department_id, func.count().label("tasks"), func.sum(DT.amount).label("tasks_amount"))
             .join(best, _on(best, DT)).where(DT.year == q.scope.year).group_by(DT.department_id).subquery())
    inds = (select(DI.department_id, func.count().label("indicators"))
            .join(best, _on(best, DI)).where(DI.year == q.scope.year).group_by(DI.department_id).subquery())
    stmt = (select(DW.department_id, DW.stage, DW.staff_count, DW.sub_unit_count, DW.basic_budget, DW.project_budget,
                   DW.total_budget, DW.executed, func.coalesce(tasks.c.tasks, 0).label("tasks"),
                   tasks.c.tasks_amount, func.coalesce(inds.c.indicators, 0).label("indicators"))
            .select_from(DW).join(best, _on(best, DW))
            .outerjoin(tasks, tasks.c.department_id == DW.department_id)
            .outerjoin(inds, inds.c.department_id == DW.department_id)
            .where(DW.year == q.scope.year).order_by(DW.total_budget.desc(), DW.department_id))
    return with_names(q, frame(q.url, stmt))


def department_wide_detail(q: Query, department_id: int) -> dict | None:
    """One department's form of the scope's year (its most advanced stage), or None when it has none or is outside
    the scope: {"form": dict of the department_wide row, "tasks": DataFrame, "indicators": DataFrame}."""
    best = _chosen(q, department_id)
    cols = [DW.stage, DW.title, DW.staff_count, DW.sub_unit_count, DW.basic_budget, DW.project_budget,
            DW.total_budget, DW.fiscal_funds, DW.other_funds, DW.executed, DW.overall_target]
    got = rows(q.url, select(*cols).join(best, _on(best, DW)).where(DW.year == q.scope.year))
    if not got:
        return None
    form = dict(got[0]._mapping)
    tasks = frame(q.url, select(DT.name, DT.content, DT.amount, DT.executed, DT.target, DT.actual)
                  .join(best, _on(best, DT)).where(DT.year == q.scope.year).order_by(DT.id))
    inds = frame(q.url, select(DI.level1, DI.level2, DI.name.label("indicator"), DI.target_text, DI.actual_text, DI.score)
                 .join(best, _on(best, DI)).where(DI.year == q.scope.year).order_by(DI.id))
    return {"form": form, "tasks": tasks, "indicators": inds}
